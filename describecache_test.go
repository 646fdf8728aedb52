package ec2emu

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ec2emu/ec2emu/backend/mock"
	"github.com/ec2emu/ec2emu/internal/xmlitem"
)

// do sends one form request to s in process, fails t unless it answers 200,
// and returns the body.
func do(t *testing.T, s *Server, form url.Values) string {
	t.Helper()
	w := httptest.NewRecorder()
	s.ServeHTTP(w, formRequest(form))
	if w.Code != http.StatusOK {
		t.Fatalf("%s: HTTP %d: %s", form.Get("Action"), w.Code, w.Body)
	}
	return w.Body.String()
}

// waitState waits until every instance of s is in one of states.
func waitState(t testing.TB, s *Server, states ...string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s.mu.RLock()
		left := ""
		for _, inst := range s.instances {
			if !strings.Contains(strings.Join(states, " "), inst.state) {
				left = inst.id + " is " + inst.state
			}
		}
		s.mu.RUnlock()
		if left == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %v: %s", states, left)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// described returns every instance of s as DescribeInstances writes it
// (kept or fresh) and as it would be written afresh, by instance ID. A kept
// item found stale by the test-only check counts as stale, not as a panic.
func describedAndFresh(t *testing.T, s *Server) (got, want map[string]string) {
	t.Helper()
	got, want = map[string]string{}, map[string]string{}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for id, inst := range s.instances {
		func() {
			defer func() {
				if r := recover(); r != nil {
					got[id] = fmt.Sprint("stale: ", r)
				}
			}()
			got[id] = s.describedXML(inst).String()
		}()
		v := s.view(inst)
		want[id] = xmlitem.EncodeItem(&v, xmlitem.DescribeInstancesItemDepth).String()
	}
	return got, want
}

// Every change an API call can make to an instance shows in the next
// DescribeInstances, though the one before kept each instance's bytes.
func TestDescribedFollowsEveryChange(t *testing.T) {
	s := New(mock.New(mock.WithDelay(0)))
	defer s.Close()
	ami := mock.DefaultImages[0].ID
	out := do(t, s, url.Values{"Action": {"RunInstances"}, "ImageId": {ami}, "MinCount": {"2"}, "MaxCount": {"2"},
		"InstanceType":                    {"t3.micro"},
		"TagSpecification.1.ResourceType": {"instance"}, "TagSpecification.1.Tag.1.Key": {"Name"}, "TagSpecification.1.Tag.1.Value": {"a"}})
	ids := idsIn(out)
	if len(ids) != 2 {
		t.Fatalf("RunInstances launched %d instances:\n%s", len(ids), out)
	}
	id := ids[0]
	out = do(t, s, url.Values{"Action": {"CreateSecurityGroup"}, "GroupName": {"web"}, "GroupDescription": {"web"}})
	sg := regexp.MustCompile(`<groupId>(sg-[0-9a-f]+)</groupId>`).FindStringSubmatch(out)
	if sg == nil {
		t.Fatalf("CreateSecurityGroup:\n%s", out)
	}
	waitState(t, s, stateRunning)

	for _, step := range []struct {
		form   url.Values // InstanceId (or InstanceId.1) is added
		wait   []string   // states every instance reaches after the call
		single bool       // the action takes InstanceId, not InstanceId.N
		same   bool       // the change does not show in DescribeInstances
	}{
		{form: url.Values{"Action": {"CreateTags"}, "ResourceId.1": {id}, "Tag.1.Key": {"env"}, "Tag.1.Value": {"prod"}}},
		{form: url.Values{"Action": {"CreateTags"}, "ResourceId.1": {id}, "Tag.1.Key": {"Name"}, "Tag.1.Value": {"b"}}},
		{form: url.Values{"Action": {"DeleteTags"}, "ResourceId.1": {id}, "Tag.1.Key": {"env"}}},
		{form: url.Values{"Action": {"ModifyInstanceAttribute"}, "SourceDestCheck.Value": {"false"}}, single: true},
		{form: url.Values{"Action": {"ModifyInstanceAttribute"}, "GroupId.1": {sg[1]}}, single: true},
		{form: url.Values{"Action": {"ModifyInstanceAttribute"}, "BlockDeviceMapping.1.DeviceName": {"/dev/xvda"},
			"BlockDeviceMapping.1.Ebs.DeleteOnTermination": {"false"}}, single: true},
		{form: url.Values{"Action": {"ModifyInstanceAttribute"}, "DisableApiTermination.Value": {"true"}}, single: true, same: true},
		{form: url.Values{"Action": {"ModifyInstanceAttribute"}, "InstanceInitiatedShutdownBehavior.Value": {"terminate"}}, single: true, same: true},
		{form: url.Values{"Action": {"ModifyInstanceMetadataOptions"}, "HttpTokens": {"required"}, "HttpPutResponseHopLimit": {"2"}}, single: true},
		{form: url.Values{"Action": {"ModifyInstanceMaintenanceOptions"}, "AutoRecovery": {"disabled"}}, single: true},
		{form: url.Values{"Action": {"ModifyInstanceCreditSpecification"}, "InstanceCreditSpecification.1.InstanceId": {id},
			"InstanceCreditSpecification.1.CpuCredits": {"standard"}}, same: true},
		{form: url.Values{"Action": {"StopInstances"}}, wait: []string{stateStopped, stateRunning}},
		{form: url.Values{"Action": {"ModifyInstanceAttribute"}, "InstanceType.Value": {"t3.small"}}, single: true},
		{form: url.Values{"Action": {"ModifyInstanceAttribute"}, "EbsOptimized.Value": {"true"}}, single: true},
		{form: url.Values{"Action": {"StartInstances"}}, wait: []string{stateRunning}},
		{form: url.Values{"Action": {"RebootInstances"}}, wait: []string{stateRunning}, same: true},
		{form: url.Values{"Action": {"ModifyInstanceAttribute"}, "DisableApiTermination.Value": {"false"}}, single: true, same: true},
		{form: url.Values{"Action": {"TerminateInstances"}}, wait: []string{stateTerminated, stateRunning}},
	} {
		name := step.form.Get("Action")
		for k := range step.form {
			if k != "Action" && k != "ResourceId.1" && k != "InstanceCreditSpecification.1.InstanceId" {
				name += " " + k
			}
		}
		t.Run(name, func(t *testing.T) {
			do(t, s, url.Values{"Action": {"DescribeInstances"}}) // keeps every instance as it is now
			before, _ := describedAndFresh(t, s)
			form := url.Values{}
			for k, v := range step.form {
				form[k] = v
			}
			switch {
			case step.single:
				form.Set("InstanceId", id)
			case form.Get("ResourceId.1") == "" && form.Get("InstanceCreditSpecification.1.InstanceId") == "":
				form.Set("InstanceId.1", id)
			}
			do(t, s, form)
			if step.wait != nil {
				waitState(t, s, step.wait...)
			}
			got, want := describedAndFresh(t, s)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("DescribeInstances after %s (-fresh +kept):\n%s", name, diff)
			}
			if !step.same && before[id] == got[id] {
				t.Errorf("%s left %s as DescribeInstances wrote it before; the step tests nothing", name, id)
			}
		})
	}
}

// The cache holds no more than its bound, nothing when turned off, and
// gives back an instance's room when the instance is forgotten.
func TestDescribedBound(t *testing.T) {
	itemSize := func() int64 {
		s := New(mock.New(mock.WithDelay(0)))
		defer s.Close()
		do(t, s, url.Values{"Action": {"RunInstances"}, "ImageId": {mock.DefaultImages[0].ID}, "MinCount": {"1"}, "MaxCount": {"1"}})
		waitState(t, s, stateRunning)
		do(t, s, url.Values{"Action": {"DescribeInstances"}})
		return s.described.Load()
	}()
	if itemSize < 1000 {
		t.Fatalf("one instance kept %d bytes", itemSize)
	}
	for _, tc := range []struct {
		name  string
		bound int64
		kept  int   // instances of 10 kept
		after []int // instances kept once one is forgotten: it may have been one of them
	}{
		{"off", 0, 0, []int{0}},
		{"room for 3", 3*itemSize + itemSize/2, 3, []int{2, 3}},
		{"room for all", 16 << 20, 10, []int{9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(mock.New(mock.WithDelay(0)), WithDescribeCache(tc.bound), WithTerminatedRetention(time.Millisecond))
			defer s.Close()
			do(t, s, url.Values{"Action": {"RunInstances"}, "ImageId": {mock.DefaultImages[0].ID}, "MinCount": {"10"}, "MaxCount": {"10"}})
			waitState(t, s, stateRunning)
			body := do(t, s, url.Values{"Action": {"DescribeInstances"}})
			if again := do(t, s, url.Values{"Action": {"DescribeInstances"}}); requestIDRe.ReplaceAllString(again, "") != requestIDRe.ReplaceAllString(body, "") {
				t.Errorf("a second DescribeInstances differs from the first")
			}
			if kept, bytes := keptIn(s); kept != tc.kept || bytes != s.described.Load() || bytes > tc.bound {
				t.Errorf("kept %d instances in %d bytes (counted %d, bound %d), want %d", kept, bytes, s.described.Load(), tc.bound, tc.kept)
			}
			do(t, s, url.Values{"Action": {"TerminateInstances"}, "InstanceId.1": {idsIn(body)[0]}})
			// Terminated instances are forgotten 1 ms after they end.
			deadline := time.Now().Add(10 * time.Second)
			for {
				s.mu.RLock()
				n := len(s.instances)
				s.mu.RUnlock()
				if n == 9 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d instances still known", n)
				}
				time.Sleep(2 * time.Millisecond)
			}
			if kept, bytes := keptIn(s); !slices.Contains(tc.after, kept) || bytes != s.described.Load() {
				t.Errorf("after an instance was forgotten: kept %d instances in %d bytes, counted %d", kept, bytes, s.described.Load())
			}
		})
	}
}

// keptIn counts the instances s keeps as described, and their bytes.
func keptIn(s *Server) (n int, bytes int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, inst := range s.instances {
		if d := inst.described.Load(); d != nil {
			n++
			bytes += int64(d.xml.Len())
		}
	}
	return n, bytes
}

var (
	requestIDRe = regexp.MustCompile(`<requestId>[^<]*</requestId>`)
	replyIDRe   = regexp.MustCompile(`<instanceId>(i-[0-9a-f]+)</instanceId>`)
)

// idsIn returns the instance IDs in a reply, in order.
func idsIn(body string) []string {
	var out []string
	for _, m := range replyIDRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}
