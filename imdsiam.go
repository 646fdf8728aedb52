package ec2emu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// IAM instance profiles, as far as an instance sees them: RunInstances
// accepts IamInstanceProfile.Arn or .Name, DescribeInstances shows it, and
// the metadata service serves iam/info and iam/security-credentials/<role>
// (the role named like the profile). The credentials are
// WithInstanceProfileCredentials', or else made up per instance; their
// Expiration is always an hour ahead, so SDKs refresh them as on EC2.

// mdProfile stores the instance profile's ARN with the machine.
const mdProfile = "iam-instance-profile"

// WithInstanceProfileCredentials sets the credentials the metadata service
// hands to instances launched with an IAM instance profile (for example
// credentials of another emulator the instances should call). Default:
// made-up credentials, different for every instance.
func WithInstanceProfileCredentials(accessKeyID, secretAccessKey, sessionToken string) Option {
	return func(c *config) {
		c.access.profileCreds = &profileCreds{accessKeyID, secretAccessKey, sessionToken}
	}
}

type profileCreds struct{ id, secret, token string }

type instanceProfileRequest struct {
	Profile *struct {
		Arn  string `ec2:"Arn"`
		Name string `ec2:"Name"`
	} `ec2:"IamInstanceProfile"`
}

// instanceProfile is the ARN of the IAM instance profile a RunInstances
// call names, "" for none.
func (c *call) instanceProfile() (string, error) {
	var req instanceProfileRequest
	if err := c.decode(&req); err != nil {
		return "", err
	}
	p := req.Profile
	switch {
	case p == nil || (p.Arn == "" && p.Name == ""):
		return "", nil
	case p.Arn != "":
		if !strings.HasPrefix(p.Arn, "arn:") || !strings.Contains(p.Arn, ":instance-profile/") {
			return "", apiErr(ErrInvalidParameterValue, "Value (%s) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN", p.Arn)
		}
		return p.Arn, nil
	default:
		return fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", c.account, p.Name), nil
	}
}

// profileID is the AIPA… ID AWS shows for an instance profile; derived
// from its ARN.
func profileID(arn string) string {
	sum := sha256.Sum256([]byte(arn))
	return "AIPA" + base32.StdEncoding.EncodeToString(sum[:])[:17]
}

func viewProfile(inst *instance, v *xmlproto.Instance) {
	if arn := inst.access.profileArn; arn != "" && inst.state != stateTerminated {
		v.IamInstanceProfile = &xmlproto.IamInstanceProfile{Arn: arn, ID: profileID(arn)}
	}
}

// roleOf is the role name of a profile: its name (the last part of its
// path), as profiles made by the console are named after their role.
func roleOf(arn string) string {
	return arn[strings.LastIndexByte(arn, '/')+1:]
}

// addIAM adds the iam/ tree for inst. Callers hold s.mu (read).
func (s *Server) addIAM(t mdTree, inst *instance) {
	arn := inst.access.profileArn
	if arn == "" {
		return
	}
	now := time.Now().UTC().Truncate(time.Second)
	info, _ := json.MarshalIndent(map[string]string{
		"Code": "Success", "LastUpdated": now.Format(time.RFC3339),
		"InstanceProfileArn": arn, "InstanceProfileId": profileID(arn),
	}, "", "  ")
	t["meta-data/iam/info"] = string(info)
	cr := s.cfg.access.profileCreds
	if cr == nil {
		// Made up, but per instance: instances never share credentials.
		m := hmac.New(sha256.New, tokenKey)
		m.Write([]byte("credentials\x00" + inst.id))
		sum := m.Sum(nil)
		cr = &profileCreds{
			id:     "ASIA" + base32.StdEncoding.EncodeToString(sum)[:16],
			secret: base64.RawStdEncoding.EncodeToString(sum)[:40],
			token:  base64.StdEncoding.EncodeToString([]byte("ec2emu session token for " + inst.id)),
		}
	}
	creds, _ := json.MarshalIndent(map[string]string{
		"Code": "Success", "LastUpdated": now.Format(time.RFC3339), "Type": "AWS-HMAC",
		"AccessKeyId": cr.id, "SecretAccessKey": cr.secret, "Token": cr.token,
		"Expiration": now.Add(time.Hour).Format(time.RFC3339),
	}, "", "  ")
	t["meta-data/iam/security-credentials/"+roleOf(arn)] = string(creds)
}
