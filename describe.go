package ec2emu

import (
	"context"
	"iter"
	"strings"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Every Describe action answers through describe, so each checks the same
// things in the same order. The order, decided once (a request with several
// faults gets the first; the model check of serve has already run):
//
//  1. the format of each named ID (InvalidXxxID.Malformed);
//  2. MaxResults: its range, and not together with IDs where EC2 forbids it;
//  3. the filters: each name known for this action (InvalidParameterValue);
//  4. NextToken (InvalidParameterValue);
//  5. DryRun: everything above passed, so 412 DryRunOperation;
//  6. the named IDs exist (InvalidXxxID.NotFound): this needs state, and a
//     DryRun must not depend on it, as on AWS where DryRun only checks
//     permissions after validating the request;
//  7. filtering, paging and the answer, all under one read of the state.

// describeQuery is what every Describe request has in common.
type describeQuery struct {
	ids        []string
	filters    []xmlproto.Filter
	maxResults *int
	nextToken  string
	dryRun     bool
}

// describeSpec is one Describe action: a table of filters, a list function
// and the answer's shape. The zero value of every optional field does what
// most Describes do.
type describeSpec[T any] struct {
	// checkIDs reports malformed IDs (see eachID); nil accepts any.
	checkIDs func(ids []string) error
	// idsParam names the ID list in the error EC2 gives when IDs and
	// MaxResults come together; empty where EC2 allows both.
	idsParam string
	// checkMax replaces the usual MaxResults range check (5..1000).
	checkMax func(max *int) error
	fields   query.Fields[T]
	// tenant makes sure the caller's tenant (default VPC, subnets, group)
	// exists before listing, for the networking Describes.
	tenant bool
	// unlocked lists without holding s.mu: list reads only what it copies
	// (e.g. the backend's images) and locks for itself.
	unlocked bool
	// list yields the items in the order the Describe shows them, after
	// checking that each of ids exists.
	list func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[T], error)
	// seq, when set, pages by a stable sequence number: a token names the
	// last item returned, so pages stay put while items come and go.
	// Otherwise a token is an offset into the matching items.
	seq func(T) uint64
	// size, when set, bounds the number of items list yields, so the page
	// is allocated once (DescribeInstances is the hot path).
	size func(s *Server, c *call, ids []string) int
	// emit builds the answer from one page.
	emit func(s *Server, c *call, page []T, next string) any
}

// describe answers a Describe action by d, in the order written above.
func describe[T any](ctx context.Context, s *Server, c *call, q describeQuery, d *describeSpec[T]) (any, error) {
	if d.checkIDs != nil {
		if err := d.checkIDs(q.ids); err != nil {
			return nil, err
		}
	}
	var err error
	if d.checkMax != nil {
		err = d.checkMax(q.maxResults)
	} else if d.idsParam != "" {
		err = query.CheckMaxResults(q.maxResults, len(q.ids), d.idsParam)
	} else {
		err = query.CheckMaxResults(q.maxResults, 0, "")
	}
	if err != nil {
		return nil, err
	}
	fs, err := query.Compile(c.action, q.filters, d.fields)
	if err != nil {
		return nil, err
	}
	after, err := query.ParseToken(q.nextToken)
	if err != nil {
		return nil, err
	}
	if q.dryRun {
		return nil, errDryRun
	}
	if d.tenant {
		s.ensureTenant(c.scope)
	}
	if !d.unlocked {
		s.mu.RLock()
		defer s.mu.RUnlock()
	}
	items, err := d.list(s, ctx, c, q.ids)
	if err != nil {
		return nil, err
	}
	limit := -1
	if q.maxResults != nil {
		limit = *q.maxResults
	}
	var page []T
	if d.size != nil {
		n := d.size(s, c, q.ids)
		if limit >= 0 {
			n = min(n, limit+1)
		}
		page = make([]T, 0, n)
	}
	next, skipped := "", uint64(0)
	for it := range items {
		if d.seq != nil && d.seq(it) <= after {
			continue
		}
		if !fs.Match(it) {
			continue
		}
		if d.seq == nil && skipped < after {
			skipped++
			continue
		}
		if len(page) == limit {
			// More remain: the token names this page's last item, or the
			// offset of the next.
			if d.seq != nil {
				next = query.Token(d.seq(page[len(page)-1]))
			} else {
				next = query.Token(after + uint64(len(page)))
			}
			break
		}
		page = append(page, it)
	}
	return d.emit(s, c, page, next), nil
}

// eachID checks IDs one by one with check.
func eachID(check func(id string) error) func([]string) error {
	return func(ids []string) error {
		for _, id := range ids {
			if err := check(id); err != nil {
				return err
			}
		}
		return nil
	}
}

// firstMissing returns the first of ids that exists says is not there.
func firstMissing(ids []string, exists func(id string) bool) (string, bool) {
	for _, id := range ids {
		if !exists(id) {
			return id, true
		}
	}
	return "", false
}

// named keeps only the items whose ID is in ids (all when ids is empty).
func named[T any](items iter.Seq[T], ids []string, id func(T) string) iter.Seq[T] {
	if len(ids) == 0 {
		return items
	}
	want := make(map[string]bool, len(ids))
	for _, i := range ids {
		want[i] = true
	}
	return func(yield func(T) bool) {
		for it := range items {
			if want[id(it)] && !yield(it) {
				return
			}
		}
	}
}

// instanceList is the list function of the Describes that show instances:
// those named by ids (all must exist) or every visible instance of the
// caller, in launch order. Callers hold s.mu (read).
func (s *Server) instanceList(_ context.Context, c *call, ids []string) (iter.Seq[*instance], error) {
	now := s.cfg.now()
	candidates, err := s.candidates(c.scope, ids, now)
	if err != nil {
		return nil, err
	}
	return func(yield func(*instance) bool) {
		for _, inst := range candidates {
			if s.visible(inst, now) && !yield(inst) {
				return
			}
		}
	}, nil
}

func instanceSeq(i *instance) uint64 { return i.seq }

// instanceCount bounds what instanceList yields. Callers hold s.mu (read).
func instanceCount(s *Server, c *call, ids []string) int {
	if len(ids) > 0 {
		return len(ids)
	}
	if z := s.tenants[c.scope]; z != nil {
		return len(z.order)
	}
	return 0
}

// pointers yields a pointer to each element of items, so filters read
// large items without copying them.
func pointers[T any](items []T) iter.Seq[*T] {
	return func(yield func(*T) bool) {
		for i := range items {
			if !yield(&items[i]) {
				return
			}
		}
	}
}

// values copies a page of pointers out into the answer's slice; never nil,
// so an empty answer still has its (empty) set element.
func values[T any](page []*T) []T {
	out := make([]T, 0, len(page))
	for _, p := range page {
		out = append(out, *p)
	}
	return out
}

// prefixID is the ID format check of resources whose IDs EC2 only checks
// for their prefix; expecting, when set, is quoted in the message as EC2
// does for that kind.
func prefixID(prefix string, code ErrorCode, expecting string) func([]string) error {
	return eachID(func(id string) error {
		if strings.HasPrefix(id, prefix) {
			return nil
		}
		if expecting != "" {
			return apiErr(code, "Invalid id: \"%s\" (expecting \"%s\")", id, expecting)
		}
		return apiErr(code, "Invalid id: \"%s\"", id)
	})
}
