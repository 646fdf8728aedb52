package ec2emu

import (
	"context"
	"encoding/base64"
	"iter"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Launch templates: named, numbered versions of RunInstances parameters,
// state of the tenant (partLaunchTemplates). RunInstances with a
// LaunchTemplate merges the version's parameters into its own request
// (applyLaunchTemplate) before any of its checks, so a template is checked
// exactly as the same parameters given directly would be.

// launchTemplate is one template and its versions.
type launchTemplate struct {
	id, name    string
	createdBy   string
	created     time.Time
	defaultV    int64
	latestV     int64 // the highest number given out; never reused
	versions    []*ltVersion
	tags        []xmlproto.Tag
	clientToken string
}

// ltVersion is one immutable version of a template.
type ltVersion struct {
	number      int64
	description string
	created     time.Time
	createdBy   string
	clientToken string
	data        xmlproto.LaunchTemplateData
}

var (
	ltNameRe = regexp.MustCompile(`^[a-zA-Z0-9().\-/_]{3,128}$`)
	ltIDRe   = regexp.MustCompile(`^lt-[0-9a-f]{17}$`)
)

func checkLTName(name string) error {
	if !ltNameRe.MatchString(name) {
		return apiErr(ErrInvalidLaunchTemplateNameMalformed, "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.")
	}
	return nil
}

func checkLTID(id string) error {
	if !ltIDRe.MatchString(id) {
		return apiErr(ErrInvalidLaunchTemplateIDMalformed, "The launch template ID '%s' is malformed: expecting lt- and 17 hexadecimal digits.", id)
	}
	return nil
}

// checkLTRef checks the LaunchTemplateId / LaunchTemplateName pair most
// actions take: one of them, well formed.
func checkLTRef(id, name string) error {
	switch {
	case id != "" && name != "":
		return apiErr(ErrInvalidParameterCombination, "Specify either the launch template ID or the launch template name, but not both.")
	case id != "":
		return checkLTID(id)
	case name != "":
		return checkLTName(name)
	}
	return apiErr(ErrMissingParameter, "The request must contain the parameter launchTemplateName or launchTemplateId")
}

// findLT resolves a checked reference. Callers hold s.mu.
func (z *tenant) findLT(id, name string) (*launchTemplate, error) {
	for _, lt := range z.launchTemplates {
		if (id != "" && lt.id == id) || (id == "" && lt.name == name) {
			return lt, nil
		}
	}
	if id != "" {
		return nil, apiErr(ErrInvalidLaunchTemplateIDNotFound, "The specified launch template, with template ID %s, does not exist.", id)
	}
	return nil, apiErr(ErrInvalidLaunchTemplateNameNotFound, "The specified launch template, with template name %s, does not exist.", name)
}

// version resolves "$Latest", "$Default" or a number; "" is def.
func (lt *launchTemplate) version(v, def string) (*ltVersion, error) {
	if v == "" {
		v = def
	}
	var n int64
	switch v {
	case "$Latest":
		n = lt.versions[len(lt.versions)-1].number
	case "$Default":
		n = lt.defaultV
	default:
		var err error
		n, err = strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return nil, apiErr(ErrInvalidLaunchTemplateIDVersionNotFound, "The specified launch template version %s does not exist: a version is a positive number, $Latest or $Default.", v)
		}
	}
	for _, ver := range lt.versions {
		if ver.number == n {
			return ver, nil
		}
	}
	return nil, apiErr(ErrInvalidLaunchTemplateIDVersionNotFound, "The specified launch template, with template ID %s, has no version %s.", lt.id, v)
}

// ltDataPrefix is where CreateLaunchTemplate(Version) carry the parameters.
const ltDataPrefix = "LaunchTemplateData."

// ltDataParams returns the request's LaunchTemplateData.* keys without
// their prefix.
func ltDataParams(p url.Values) url.Values {
	out := url.Values{}
	for k, v := range p {
		if rest, ok := strings.CutPrefix(k, ltDataPrefix); ok {
			out[rest] = v
		}
	}
	return out
}

// checkLTData checks the launch parameters of a new version: members the
// emulator does not model are refused rather than kept and not shown.
// AWS checks little more when a template is written ("parameters not
// validated"); RunInstances checks them when they are used.
func checkLTData(p url.Values, d *xmlproto.LaunchTemplateData) error {
	if unused := xmlproto.Unused(p, d); len(unused) > 0 {
		return apiErr(ErrUnsupportedOperation, "The launch template parameter %s%s is not supported by ec2emu.", ltDataPrefix, unused[0])
	}
	if d.UserData != "" {
		if _, err := xmlproto.DecodeBase64(d.UserData); err != nil {
			return apiErr(ErrInvalidUserDataMalformed, "Invalid BASE64 encoding of user data.")
		}
	}
	for _, ts := range d.TagSpecifications {
		switch ts.ResourceType {
		case "instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu":
		default:
			return apiErr(ErrInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation.", ts.ResourceType)
		}
		if err := validateTags(ts.Tags); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) ltView(lt *launchTemplate) xmlproto.LaunchTemplate {
	return xmlproto.LaunchTemplate{LaunchTemplateID: lt.id, LaunchTemplateName: lt.name, CreateTime: lt.created,
		CreatedBy: lt.createdBy, DefaultVersionNumber: lt.defaultV, LatestVersionNumber: lt.versions[len(lt.versions)-1].number,
		Tags: lt.tags}
}

func ltVersionView(lt *launchTemplate, v *ltVersion) xmlproto.LaunchTemplateVersion {
	d := v.data
	return xmlproto.LaunchTemplateVersion{LaunchTemplateID: lt.id, LaunchTemplateName: lt.name, VersionNumber: v.number,
		VersionDescription: v.description, CreateTime: v.created, CreatedBy: v.createdBy,
		DefaultVersion: v.number == lt.defaultV, LaunchTemplateData: &d}
}

func createdBy(c *call) string { return "arn:aws:iam::" + c.account + ":root" }

const maxClientToken = 128

func checkClientToken(tok string) error {
	if len(tok) > maxClientToken {
		return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter clientToken is invalid. The client token must be at most %d characters long.", tok, maxClientToken)
	}
	return nil
}

// ---- CreateLaunchTemplate ----

func (s *Server) createLaunchTemplate(ctx context.Context, c *call, req *xmlproto.CreateLaunchTemplateRequest) (any, error) {
	if req.LaunchTemplateName == nil || *req.LaunchTemplateName == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter LaunchTemplateName")
	}
	name := *req.LaunchTemplateName
	if err := checkLTName(name); err != nil {
		return nil, err
	}
	if err := checkClientToken(req.ClientToken); err != nil {
		return nil, err
	}
	p := ltDataParams(c.req.Params)
	if len(p) == 0 || req.LaunchTemplateData == nil {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter LaunchTemplateData")
	}
	if err := checkLTData(p, req.LaunchTemplateData); err != nil {
		return nil, err
	}
	var tags []xmlproto.Tag
	for _, ts := range req.TagSpecifications {
		if ts.ResourceType != "launch-template" {
			return nil, apiErr(ErrInvalidParameterValue, "The value for the ResourceType member of the TagSpecification request parameter must be 'launch-template'. Verify the ResourceType and try again.")
		}
		if err := validateTags(ts.Tags); err != nil {
			return nil, err
		}
		tags = setTags(tags, ts.Tags)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	if req.ClientToken != "" {
		for _, lt := range z.launchTemplates {
			if lt.clientToken == req.ClientToken {
				if lt.name != name {
					return nil, apiErr(ErrIdempotentParameterMismatch, "Arguments on this idempotent request are inconsistent with arguments used in previous request(s).")
				}
				if req.DryRun {
					return nil, errDryRun
				}
				return &xmlproto.CreateLaunchTemplateResponse{LaunchTemplate: s.ltView(lt)}, nil
			}
		}
	}
	for _, lt := range z.launchTemplates {
		if lt.name == name {
			return nil, apiErr(ErrInvalidLaunchTemplateNameAlreadyExists, "Launch template name already in use.")
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	now := s.cfg.now().UTC().Truncate(time.Second)
	lt := &launchTemplate{id: newID("lt-"), name: name, createdBy: createdBy(c), created: now, defaultV: 1, latestV: 1,
		tags: tags, clientToken: req.ClientToken}
	lt.versions = []*ltVersion{{number: 1, description: req.VersionDescription, created: now, createdBy: lt.createdBy,
		data: *req.LaunchTemplateData}}
	z.launchTemplates = append(z.launchTemplates, lt)
	s.touchTenant(z, partLaunchTemplates)
	return &xmlproto.CreateLaunchTemplateResponse{LaunchTemplate: s.ltView(lt)}, nil
}

// ---- CreateLaunchTemplateVersion ----

func (s *Server) createLaunchTemplateVersion(ctx context.Context, c *call, req *xmlproto.CreateLaunchTemplateVersionRequest) (any, error) {
	if err := checkLTRef(req.LaunchTemplateID, req.LaunchTemplateName); err != nil {
		return nil, err
	}
	if err := checkClientToken(req.ClientToken); err != nil {
		return nil, err
	}
	p := ltDataParams(c.req.Params)
	if req.LaunchTemplateData == nil {
		req.LaunchTemplateData = &xmlproto.LaunchTemplateData{}
	}
	if err := checkLTData(p, req.LaunchTemplateData); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	lt, err := z.findLT(req.LaunchTemplateID, req.LaunchTemplateName)
	if err != nil {
		return nil, err
	}
	if req.ClientToken != "" {
		for _, v := range lt.versions {
			if v.clientToken == req.ClientToken {
				if req.DryRun {
					return nil, errDryRun
				}
				return &xmlproto.CreateLaunchTemplateVersionResponse{LaunchTemplateVersion: ltVersionView(lt, v)}, nil
			}
		}
	}
	data := *req.LaunchTemplateData
	if req.SourceVersion != "" {
		src, err := lt.version(req.SourceVersion, "")
		if err != nil {
			return nil, err
		}
		data = overlayLTData(src.data, p)
	}
	if req.DryRun {
		return nil, errDryRun
	}
	lt.latestV++
	v := &ltVersion{number: lt.latestV, description: req.VersionDescription, created: s.cfg.now().UTC().Truncate(time.Second),
		createdBy: createdBy(c), clientToken: req.ClientToken, data: data}
	lt.versions = append(lt.versions, v)
	s.touchTenant(z, partLaunchTemplates)
	return &xmlproto.CreateLaunchTemplateVersionResponse{LaunchTemplateVersion: ltVersionView(lt, v)}, nil
}

// overlayLTData is a source version's parameters with those of over
// replacing each top-level member over gives (SourceVersion).
func overlayLTData(src xmlproto.LaunchTemplateData, over url.Values) xmlproto.LaunchTemplateData {
	base := url.Values{}
	xmlproto.EncodeParams(base, "", &src)
	merged := overlayMembers(base, over)
	var out xmlproto.LaunchTemplateData
	_ = xmlproto.Decode(merged, &out) // both halves decoded before
	return out
}

// topMember is the first segment of a wire key.
func topMember(k string) string {
	m, _, _ := strings.Cut(k, ".")
	return m
}

// overlayMembers returns base with every top-level member that over gives
// replaced by over's.
func overlayMembers(base, over url.Values) url.Values {
	given := map[string]bool{}
	for k := range over {
		given[topMember(k)] = true
	}
	out := url.Values{}
	for k, v := range base {
		if !given[topMember(k)] {
			out[k] = v
		}
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// ---- ModifyLaunchTemplate ----

func (s *Server) modifyLaunchTemplate(ctx context.Context, c *call, req *xmlproto.ModifyLaunchTemplateRequest) (any, error) {
	if err := checkLTRef(req.LaunchTemplateID, req.LaunchTemplateName); err != nil {
		return nil, err
	}
	if err := checkClientToken(req.ClientToken); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	lt, err := z.findLT(req.LaunchTemplateID, req.LaunchTemplateName)
	if err != nil {
		return nil, err
	}
	var v *ltVersion
	if req.DefaultVersion != "" {
		if _, err := strconv.ParseInt(req.DefaultVersion, 10, 64); err != nil {
			return nil, apiErr(ErrInvalidLaunchTemplateIDVersionNotFound, "The specified launch template version %s does not exist: SetDefaultVersion takes a version number.", req.DefaultVersion)
		}
		if v, err = lt.version(req.DefaultVersion, ""); err != nil {
			return nil, err
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	if v != nil && v.number != lt.defaultV {
		lt.defaultV = v.number
		s.touchTenant(z, partLaunchTemplates)
	}
	return &xmlproto.LaunchTemplateResponse{LaunchTemplate: s.ltView(lt)}, nil
}

// ---- DeleteLaunchTemplate ----

func (s *Server) deleteLaunchTemplate(ctx context.Context, c *call, req *xmlproto.LaunchTemplateRef) (any, error) {
	if err := checkLTRef(req.LaunchTemplateID, req.LaunchTemplateName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	lt, err := z.findLT(req.LaunchTemplateID, req.LaunchTemplateName)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	z.launchTemplates = slices.DeleteFunc(z.launchTemplates, func(x *launchTemplate) bool { return x == lt })
	s.touchTenant(z, partLaunchTemplates)
	return &xmlproto.LaunchTemplateResponse{LaunchTemplate: s.ltView(lt)}, nil
}

// ---- DeleteLaunchTemplateVersions ----

// maxDeleteVersions is how many versions one DeleteLaunchTemplateVersions
// may name.
const maxDeleteVersions = 200

func (s *Server) deleteLaunchTemplateVersions(ctx context.Context, c *call, req *xmlproto.DeleteLaunchTemplateVersionsRequest) (any, error) {
	if err := checkLTRef(req.LaunchTemplateID, req.LaunchTemplateName); err != nil {
		return nil, err
	}
	if len(req.Versions) == 0 {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter LaunchTemplateVersion")
	}
	if len(req.Versions) > maxDeleteVersions {
		return nil, apiErr(ErrInvalidParameterValue, "You can delete up to %d launch template versions in one request; use DeleteLaunchTemplate to delete them all.", maxDeleteVersions)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	lt, err := z.findLT(req.LaunchTemplateID, req.LaunchTemplateName)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	out := &xmlproto.DeleteLaunchTemplateVersionsResponse{Deleted: []xmlproto.LaunchTemplateVersionDeleted{},
		NotDeleted: []xmlproto.LaunchTemplateVersionNotDeleted{}}
	fail := func(n *int64, code, msg string) {
		out.NotDeleted = append(out.NotDeleted, xmlproto.LaunchTemplateVersionNotDeleted{LaunchTemplateID: lt.id,
			LaunchTemplateName: lt.name, VersionNumber: n, ResponseError: xmlproto.ResponseError{Code: code, Message: msg}})
	}
	for _, v := range req.Versions {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			fail(nil, "launchTemplateVersionDoesNotExist", "The specified launch template version does not exist: versions to delete are given by number.")
			continue
		}
		i := slices.IndexFunc(lt.versions, func(x *ltVersion) bool { return x.number == n })
		switch {
		case i < 0:
			fail(&n, "launchTemplateVersionDoesNotExist", "The specified launch template version does not exist.")
		case n == lt.defaultV:
			fail(&n, "unexpectedError", "Cannot delete the default version of a launch template; make another version the default first, or delete the launch template.")
		default:
			lt.versions = slices.Delete(lt.versions, i, i+1)
			out.Deleted = append(out.Deleted, xmlproto.LaunchTemplateVersionDeleted{LaunchTemplateID: lt.id,
				LaunchTemplateName: lt.name, VersionNumber: n})
		}
	}
	if len(out.Deleted) > 0 {
		s.touchTenant(z, partLaunchTemplates)
	}
	return out, nil
}

// ---- DescribeLaunchTemplates ----

var ltFields = query.Fields[*launchTemplate]{
	ByName: map[string]func(*launchTemplate) []string{
		"launch-template-name": func(lt *launchTemplate) []string { return one(lt.name) },
		"create-time":          func(lt *launchTemplate) []string { return one(lt.created.Format(xmlproto.TimeFormat)) },
	},
	Tags: func(lt *launchTemplate) []xmlproto.Tag { return lt.tags },
}

// checkMax1to200 is the MaxResults range of the launch-template Describes.
func checkMax1to200(max *int) error {
	if max != nil && (*max < 1 || *max > 200) {
		return apiErr(ErrInvalidParameterValue, "Value ( %d ) for parameter maxResults is invalid. Parameter must be between 1 and 200.", *max)
	}
	return nil
}

func (s *Server) describeLaunchTemplates(ctx context.Context, c *call, req *xmlproto.DescribeLaunchTemplatesRequest) (any, error) {
	for _, n := range req.LaunchTemplateNames {
		if err := checkLTName(n); err != nil {
			return nil, err
		}
	}
	names := req.LaunchTemplateNames
	spec := describeSpec[*launchTemplate]{
		checkIDs: eachID(checkLTID), checkMax: checkMax1to200, fields: ltFields,
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*launchTemplate], error) {
			z := s.tenants[c.scope]
			var all []*launchTemplate
			if z != nil {
				all = z.launchTemplates
			}
			for _, id := range ids {
				if !slices.ContainsFunc(all, func(lt *launchTemplate) bool { return lt.id == id }) {
					return nil, apiErr(ErrInvalidLaunchTemplateIDNotFound, "The specified launch template, with template ID %s, does not exist.", id)
				}
			}
			for _, n := range names {
				if !slices.ContainsFunc(all, func(lt *launchTemplate) bool { return lt.name == n }) {
					return nil, apiErr(ErrInvalidLaunchTemplateNameNotFound, "At least one of the launch templates specified in the request does not exist.")
				}
			}
			return func(yield func(*launchTemplate) bool) {
				for _, lt := range all {
					if (len(ids) > 0 || len(names) > 0) && !slices.Contains(ids, lt.id) && !slices.Contains(names, lt.name) {
						continue
					}
					if !yield(lt) {
						return
					}
				}
			}, nil
		},
		emit: func(s *Server, c *call, page []*launchTemplate, next string) any {
			out := &xmlproto.DescribeLaunchTemplatesResponse{LaunchTemplates: make([]xmlproto.LaunchTemplate, 0, len(page)), NextToken: next}
			for _, lt := range page {
				out.LaunchTemplates = append(out.LaunchTemplates, s.ltView(lt))
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{req.LaunchTemplateIDs, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

// ---- DescribeLaunchTemplateVersions ----

// ltVersionItem is one version as the filters see it.
type ltVersionItem struct {
	lt *launchTemplate
	v  *ltVersion
}

func boolPtrStr(b *bool) []string {
	if b == nil {
		return nil
	}
	return one(strconv.FormatBool(*b))
}

var ltVersionFields = query.Fields[*ltVersionItem]{
	ByName: map[string]func(*ltVersionItem) []string{
		"create-time":        func(i *ltVersionItem) []string { return one(i.v.created.Format(xmlproto.TimeFormat)) },
		"ebs-optimized":      func(i *ltVersionItem) []string { return boolPtrStr(i.v.data.EbsOptimized) },
		"image-id":           func(i *ltVersionItem) []string { return one(i.v.data.ImageID) },
		"instance-type":      func(i *ltVersionItem) []string { return one(i.v.data.InstanceType) },
		"is-default-version": func(i *ltVersionItem) []string { return one(strconv.FormatBool(i.v.number == i.lt.defaultV)) },
		"kernel-id":          func(i *ltVersionItem) []string { return one(i.v.data.KernelID) },
		"ram-disk-id":        func(i *ltVersionItem) []string { return one(i.v.data.RamDiskID) },
		"iam-instance-profile": func(i *ltVersionItem) []string {
			if p := i.v.data.IamInstanceProfile; p != nil {
				return one(p.Arn)
			}
			return nil
		},
		"http-tokens": func(i *ltVersionItem) []string {
			if m := i.v.data.MetadataOptions; m != nil {
				return one(m.HTTPTokens)
			}
			return nil
		},
		"http-endpoint": func(i *ltVersionItem) []string {
			if m := i.v.data.MetadataOptions; m != nil {
				return one(m.HTTPEndpoint)
			}
			return nil
		},
		"host-resource-group-arn": func(i *ltVersionItem) []string {
			if p := i.v.data.Placement; p != nil {
				return one(p.HostResourceGroupArn)
			}
			return nil
		},
	},
}

func (s *Server) describeLaunchTemplateVersions(ctx context.Context, c *call, req *xmlproto.DescribeLaunchTemplateVersionsRequest) (any, error) {
	byTemplate := req.LaunchTemplateID != "" || req.LaunchTemplateName != ""
	if byTemplate {
		if err := checkLTRef(req.LaunchTemplateID, req.LaunchTemplateName); err != nil {
			return nil, err
		}
	} else {
		for _, v := range req.Versions {
			if v != "$Latest" && v != "$Default" {
				return nil, apiErr(ErrInvalidParameterValue, "Without a launch template ID or name, the versions may only be $Latest and $Default, not %s.", v)
			}
		}
		if req.MinVersion != "" || req.MaxVersion != "" {
			return nil, apiErr(ErrMissingParameter, "The request must contain the parameter launchTemplateName or launchTemplateId")
		}
	}
	var minV, maxV int64 = 1, 1<<63 - 1
	for _, b := range []struct {
		name, v string
		dst     *int64
	}{{"MinVersion", req.MinVersion, &minV}, {"MaxVersion", req.MaxVersion, &maxV}} {
		if b.v == "" {
			continue
		}
		n, err := strconv.ParseInt(b.v, 10, 64)
		if err != nil || n < 1 {
			return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter %s is invalid. Expecting a version number.", b.v, b.name)
		}
		*b.dst = n
	}
	spec := describeSpec[*ltVersionItem]{
		checkMax: checkMax1to200, fields: ltVersionFields,
		list: func(s *Server, ctx context.Context, c *call, _ []string) (iter.Seq[*ltVersionItem], error) {
			z := s.tenants[c.scope]
			var templates []*launchTemplate
			if byTemplate {
				if z == nil {
					z = &tenant{}
				}
				lt, err := z.findLT(req.LaunchTemplateID, req.LaunchTemplateName)
				if err != nil {
					return nil, err
				}
				templates = []*launchTemplate{lt}
			} else if z != nil {
				templates = z.launchTemplates
			}
			var items []*ltVersionItem
			for _, lt := range templates {
				want := map[int64]bool{}
				for _, v := range req.Versions {
					ver, err := lt.version(v, "")
					if err != nil {
						return nil, err
					}
					want[ver.number] = true
				}
				// Newest first, as EC2 lists them.
				for i := len(lt.versions) - 1; i >= 0; i-- {
					v := lt.versions[i]
					if len(want) > 0 && !want[v.number] || v.number < minV || v.number > maxV {
						continue
					}
					items = append(items, &ltVersionItem{lt, v})
				}
			}
			return slices.Values(items), nil
		},
		emit: func(s *Server, c *call, page []*ltVersionItem, next string) any {
			out := &xmlproto.DescribeLaunchTemplateVersionsResponse{LaunchTemplateVersions: make([]xmlproto.LaunchTemplateVersion, 0, len(page)), NextToken: next}
			for _, it := range page {
				out.LaunchTemplateVersions = append(out.LaunchTemplateVersions, ltVersionView(it.lt, it.v))
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{nil, req.Filters, req.MaxResults, req.NextToken, req.DryRun}, &spec)
}

// ---- GetLaunchTemplateData ----

func (s *Server) getLaunchTemplateData(ctx context.Context, c *call, req *xmlproto.GetLaunchTemplateDataRequest) (any, error) {
	if req.InstanceID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter InstanceId")
	}
	if err := checkInstanceID(req.InstanceID); err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	z := s.tenants[c.scope]
	if z == nil {
		return nil, apiErr(ErrInvalidInstanceIDNotFound, "The instance ID '%s' does not exist", req.InstanceID)
	}
	insts, err := s.lookup(z, []string{req.InstanceID}, s.cfg.now())
	if err != nil {
		return nil, err
	}
	return &xmlproto.GetLaunchTemplateDataResponse{LaunchTemplateData: s.instanceLTData(insts[0])}, nil
}

// instanceLTData is the launch parameters that would launch another
// instance like inst. Callers hold s.mu.
func (s *Server) instanceLTData(inst *instance) xmlproto.LaunchTemplateData {
	b := func(v bool) *bool { return &v }
	a := inst.attrs
	d := xmlproto.LaunchTemplateData{
		ImageID: inst.imageID, InstanceType: inst.instanceType, KeyName: inst.keyName,
		EbsOptimized: b(a.EbsOptimized), Monitoring: &xmlproto.LaunchTemplateEnabled{Enabled: b(a.Monitoring)},
		Placement: &xmlproto.LaunchTemplatePlacement{AvailabilityZone: inst.az, Tenancy: cmpOr(a.Placement.Tenancy, "default"),
			HostID: a.Placement.HostID, Affinity: a.Placement.Affinity, GroupName: a.Placement.GroupName,
			HostResourceGroupArn: a.Placement.HostResourceGroupArn},
		HibernationOptions:                &xmlproto.LaunchTemplateHibernationOptions{Configured: b(a.Hibernation)},
		EnclaveOptions:                    &xmlproto.LaunchTemplateEnabled{Enabled: b(a.Enclave)},
		DisableAPITermination:             b(a.DisableAPITermination),
		DisableAPIStop:                    b(a.DisableAPIStop),
		InstanceInitiatedShutdownBehavior: cmpOr(a.ShutdownBehavior, "stop"),
		MetadataOptions: &xmlproto.LaunchTemplateMetadataOptions{HTTPTokens: a.Metadata.HTTPTokens,
			HTTPPutResponseHopLimit: &a.Metadata.HopLimit, HTTPEndpoint: a.Metadata.HTTPEndpoint,
			HTTPProtocolIpv6: a.Metadata.HTTPProtocolIPv6, InstanceMetadataTags: a.Metadata.InstanceMetadataTags},
	}
	if a.CPUCredits != "" {
		d.CreditSpecification = &xmlproto.CreditSpecificationRequest{CPUCredits: a.CPUCredits}
	}
	if n := a.Placement.PartitionNumber; n > 0 {
		d.Placement.PartitionNumber = &n
	}
	if a.CoreCount > 0 || a.ThreadsPerCore > 0 {
		d.CPUOptions = &xmlproto.LaunchTemplateCPUOptions{}
		if a.CoreCount > 0 {
			d.CPUOptions.CoreCount = &a.CoreCount
		}
		if a.ThreadsPerCore > 0 {
			d.CPUOptions.ThreadsPerCore = &a.ThreadsPerCore
		}
	}
	if a.AutoRecovery != "" {
		d.MaintenanceOptions = &xmlproto.LaunchTemplateMaintenanceOptions{AutoRecovery: a.AutoRecovery}
	}
	if len(inst.userData) > 0 {
		d.UserData = base64.StdEncoding.EncodeToString(inst.userData)
	}
	var tags []xmlproto.Tag
	for _, t := range inst.tags {
		if !strings.HasPrefix(t.Key, "aws:") {
			tags = append(tags, t)
		}
	}
	if len(tags) > 0 {
		d.TagSpecifications = []xmlproto.LaunchTemplateTagSpecification{{ResourceType: "instance", Tags: tags}}
	}
	if n := inst.nic; n != nil {
		ni := xmlproto.LaunchTemplateNetworkInterface{DeviceIndex: new(int), DeleteOnTermination: b(true),
			SubnetID: n.subnetID, AssociatePublicIPAddress: b(inst.access.wantPublic)}
		for _, g := range n.groups {
			ni.Groups = append(ni.Groups, g.GroupID)
		}
		d.NetworkInterfaces = []xmlproto.LaunchTemplateNetworkInterface{ni}
	}
	return d
}

// ---- RunInstances with a launch template ----

// ltTagID and ltTagVersion are the tags EC2 puts on an instance launched
// from a template.
const (
	ltTagID      = "aws:ec2launchtemplate:id"
	ltTagVersion = "aws:ec2launchtemplate:version"
)

// ltRunRenames maps template members to RunInstances' names where they
// differ.
var ltRunRenames = map[string]string{"RamDiskId": "RamdiskId"}

// applyLaunchTemplate resolves RunInstances' LaunchTemplate, if any, and
// merges the version's parameters into the call's parameters and *req, as
// EC2 merges them: a member the request gives replaces the template's
// (SecurityGroupId, NetworkInterface and other lists as a whole, so a
// request's security groups do not mix with a template's network
// interfaces), except tag specifications, merged per resource type with the
// request's value winning for a key, and block device mappings, merged by
// device name. It returns the tags that mark the instances as launched from
// the template.
func (s *Server) applyLaunchTemplate(c *call, req *xmlproto.RunInstancesRequest) ([]xmlproto.Tag, error) {
	var spec struct {
		LT *xmlproto.LaunchTemplateSpecification `ec2:"LaunchTemplate"`
	}
	if err := c.decode(&spec); err != nil {
		return nil, err
	}
	if spec.LT == nil {
		return nil, nil
	}
	ref := spec.LT
	if err := checkLTRef(ref.LaunchTemplateID, ref.LaunchTemplateName); err != nil {
		return nil, err
	}
	s.mu.RLock()
	z := s.tenants[c.scope]
	if z == nil {
		z = &tenant{}
	}
	lt, err := z.findLT(ref.LaunchTemplateID, ref.LaunchTemplateName)
	var v *ltVersion
	var ltID string
	var data xmlproto.LaunchTemplateData
	if err == nil {
		v, err = lt.version(ref.Version, "$Default")
	}
	if err == nil {
		ltID, data = lt.id, v.data
	}
	s.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	tp := url.Values{}
	xmlproto.EncodeParams(tp, "", &data)
	for from, to := range ltRunRenames {
		for k, vals := range tp {
			if rest, ok := strings.CutPrefix(k, from); ok && (rest == "" || rest[0] == '.') {
				delete(tp, k)
				tp[to+rest] = vals
			}
		}
	}
	own := url.Values{}
	for k, vals := range c.req.Params {
		if topMember(k) != "LaunchTemplate" {
			own[k] = vals
		}
	}
	merged := overlayMembers(tp, own)
	// Tag specifications and block devices combine rather than replace.
	tags := mergeTagSpecs(data.TagSpecifications, req.TagSpecifications)
	bdms := mergeBlockDevices(data.BlockDeviceMappings, req.BlockDeviceMappings)
	for k := range merged {
		if m := topMember(k); m == "TagSpecification" || m == "BlockDeviceMapping" {
			delete(merged, k)
		}
	}
	xmlproto.EncodeParams(merged, "", &struct {
		T []xmlproto.TagSpecification          `ec2:"TagSpecification"`
		B []xmlproto.BlockDeviceMappingRequest `ec2:"BlockDeviceMapping"`
	}{tags, bdms})
	c.own, c.req.Params = c.req.Params, merged
	*req = xmlproto.RunInstancesRequest{}
	if err := c.decode(req); err != nil {
		return nil, err
	}
	return []xmlproto.Tag{{Key: ltTagID, Value: ltID}, {Key: ltTagVersion, Value: strconv.FormatInt(v.number, 10)}}, nil
}

// mergeTagSpecs combines a template's tag specifications with a request's:
// per resource type, the request's value wins for a key.
func mergeTagSpecs(tmpl []xmlproto.LaunchTemplateTagSpecification, own []xmlproto.TagSpecification) []xmlproto.TagSpecification {
	var out []xmlproto.TagSpecification
	for _, ts := range tmpl {
		out = append(out, xmlproto.TagSpecification{ResourceType: ts.ResourceType, Tags: slices.Clone(ts.Tags)})
	}
	for _, ts := range own {
		i := slices.IndexFunc(out, func(x xmlproto.TagSpecification) bool { return x.ResourceType == ts.ResourceType })
		if i < 0 || ts.ResourceType == "" {
			out = append(out, ts)
			continue
		}
		out[i].Tags = setTags(out[i].Tags, ts.Tags)
	}
	return out
}

// mergeBlockDevices combines a template's block device mappings with a
// request's: the request's mapping wins for a device name.
func mergeBlockDevices(tmpl []xmlproto.LaunchTemplateBlockDeviceMapping, own []xmlproto.BlockDeviceMappingRequest) []xmlproto.BlockDeviceMappingRequest {
	var out []xmlproto.BlockDeviceMappingRequest
	for _, m := range tmpl {
		if slices.ContainsFunc(own, func(o xmlproto.BlockDeviceMappingRequest) bool { return o.DeviceName == m.DeviceName }) {
			continue
		}
		r := xmlproto.BlockDeviceMappingRequest{DeviceName: m.DeviceName, VirtualName: m.VirtualName, NoDevice: m.NoDevice}
		if e := m.Ebs; e != nil {
			r.Ebs = &xmlproto.EbsBlockDevice{VolumeSize: e.VolumeSize, VolumeType: e.VolumeType, Iops: e.Iops, Throughput: e.Throughput,
				SnapshotID: e.SnapshotID, DeleteOnTermination: e.DeleteOnTermination, Encrypted: e.Encrypted, KmsKeyID: e.KmsKeyID}
		}
		out = append(out, r)
	}
	return append(out, own...)
}

// ltTaggable finds a launch template for CreateTags and DeleteTags.
// Callers hold s.mu.
func ltTaggable(z *tenant, id string) (*taggable, error) {
	if err := checkLTID(id); err != nil {
		return nil, err
	}
	for _, lt := range z.launchTemplates {
		if lt.id == id {
			return &taggable{id: id, kind: "launch-template", get: func() []xmlproto.Tag { return lt.tags },
				set: func(t []xmlproto.Tag) { lt.tags = t }}, nil
		}
	}
	return nil, apiErr(ErrInvalidLaunchTemplateIDNotFound, "The specified launch template, with template ID %s, does not exist.", id)
}

// ---- the durable store ----

type (
	launchTemplateRec struct {
		Order       int            `json:"order"`
		ID          string         `json:"id"`
		Name        string         `json:"name"`
		CreatedBy   string         `json:"createdBy"`
		Created     time.Time      `json:"created"`
		Default     int64          `json:"default"`
		Latest      int64          `json:"latest"`
		Tags        []xmlproto.Tag `json:"tags,omitempty"`
		ClientToken string         `json:"clientToken,omitempty"`
		Versions    []ltVersionRec `json:"versions"`
	}
	ltVersionRec struct {
		Number      int64                       `json:"number"`
		Description string                      `json:"description,omitempty"`
		Created     time.Time                   `json:"created"`
		CreatedBy   string                      `json:"createdBy"`
		ClientToken string                      `json:"clientToken,omitempty"`
		Data        xmlproto.LaunchTemplateData `json:"data"`
	}
)

func ltRecOf(order int, lt *launchTemplate) launchTemplateRec {
	r := launchTemplateRec{Order: order, ID: lt.id, Name: lt.name, CreatedBy: lt.createdBy, Created: lt.created,
		Default: lt.defaultV, Latest: lt.latestV, Tags: lt.tags, ClientToken: lt.clientToken}
	for _, v := range lt.versions {
		r.Versions = append(r.Versions, ltVersionRec{Number: v.number, Description: v.description, Created: v.created,
			CreatedBy: v.createdBy, ClientToken: v.clientToken, Data: v.data})
	}
	return r
}

func ltFromRec(r launchTemplateRec) *launchTemplate {
	lt := &launchTemplate{id: r.ID, name: r.Name, createdBy: r.CreatedBy, created: r.Created, defaultV: r.Default,
		latestV: r.Latest, tags: r.Tags, clientToken: r.ClientToken}
	for _, v := range r.Versions {
		lt.versions = append(lt.versions, &ltVersion{number: v.Number, description: v.Description, created: v.Created,
			createdBy: v.CreatedBy, clientToken: v.ClientToken, data: v.Data})
	}
	return lt
}
