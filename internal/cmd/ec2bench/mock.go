package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
)

const mockAMI = "ami-df5de72bdb3b" // one of mock.DefaultImages

// benchMock measures the Server over loopback HTTP with the mock backend
// with no delay, so the figures are the Server's (and the client's) own
// cost. Each SDK figure has a client-only baseline: the same SDK call
// against a canned server that answers with the same bytes at once, which
// is the most any server could give that client on this machine. Each
// figure also has a raw-HTTP twin: the SDK's request body posted by a plain
// net/http client that reads and discards the answer, which is the Server's
// own throughput; its baseline, HTTP alone, is that client against the
// canned server, the most any server could give over loopback here.
func benchMock(ctx context.Context, o options, t *table) error {
	logf("mock backend over loopback HTTP (%d rounds of %s per figure)", o.rounds, o.roundTime)
	// The instance limit is raised only so that the RunInstances rounds never
	// hit it; each round acts in a fresh account.
	srv := ec2emu.New(mock.New(mock.WithDelay(0)), ec2emu.WithVcpuLimit(1<<30))
	defer srv.Close()
	url, stop, err := listen(srv)
	if err != nil {
		return err
	}
	defer stop()

	for _, tc := range []struct {
		n      int
		region string
		target float64
	}{
		{100, "us-east-1", 3000},
		{1000, "us-west-2", 400},
	} {
		const acct = "111111111111"
		c := newClient(url, acct, tc.region)
		if _, err := runInstances(ctx, c, mockAMI, tc.n); err != nil {
			return err
		}
		if err := waitNonePending(ctx, c, timeoutFor(tc.n)); err != nil {
			return err
		}
		if got, err := countInstances(ctx, c); err != nil {
			return err
		} else if got != tc.n {
			return fmt.Errorf("DescribeInstances returned %d instances, want %d", got, tc.n)
		}
		form := "Action=DescribeInstances&Version=2016-11-15"
		reply, err := fetch(ctx, url, acct, tc.region, form)
		if err != nil {
			return err
		}
		call := func(c *ec2.Client) func(ctx context.Context) error {
			return func(ctx context.Context) error {
				_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
				return err
			}
		}
		target := fmt.Sprintf("≥ %s req/s", num(tc.target))
		name := fmt.Sprintf("DescribeInstances, %s mock instances (%s KiB reply)", num(float64(tc.n)), num(float64(len(reply))/1024))
		if err := sdkAndRaw(ctx, o, t, name, url, acct, tc.region, form, reply, call, target, tc.target); err != nil {
			return err
		}
	}

	// RunInstances of one instance, a fresh account every 1,000 calls
	// (launchAccounts), so a call's cost does not depend on how many
	// instances earlier ones left, and no default subnet fills up.
	var acct atomic.Int64
	nextAccount := func() string { return strconv.FormatInt(200000000000+acct.Add(1), 10) }
	form := "Action=RunInstances&ImageId=" + mockAMI + "&MaxCount=1&MinCount=1&Version=2016-11-15"
	reply, err := fetch(ctx, url, nextAccount(), "eu-west-1", form)
	if err != nil {
		return err
	}
	run := func(ctx context.Context, c *ec2.Client) error {
		_, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(mockAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
		return err
	}
	canned, stopCanned, err := listen(cannedReply(reply))
	if err != nil {
		return err
	}
	defer stopCanned()
	accts := &launchAccounts{base: 400000000000}
	for _, conc := range []int{1, 4} {
		cc := newClient(canned, "111111111111", "eu-west-1")
		rs, err := interleaved(ctx, conc, o.rounds, o.roundTime, nil,
			func(ctx context.Context) error { return run(ctx, accts.client(url, "eu-west-1")) },
			func(ctx context.Context) error { return run(ctx, cc) })
		if err != nil {
			return err
		}
		r, base := rs[0], rs[1]
		rw := row{name: fmt.Sprintf("RunInstances (1 instance), mock, SDK, concurrency %d", conc), figure: r.String(),
			baseline: "SDK alone " + num(base.rps) + " req/s", ratio: fmt.Sprintf("%.2f×", r.rps/base.rps)}
		if conc == 4 {
			rw.target, rw.met = "≥ 5,000 req/s", atLeast(r.rps, 5000)
		}
		t.add(rw)
	}
	r, err := throughputWith(ctx, 4, o.rounds, o.roundTime, nil, accts.raw(url, "eu-west-1", form))
	if err != nil {
		return err
	}
	t.add(row{name: "RunInstances (1 instance), mock, raw HTTP (Server only), concurrency 4", figure: r.String(),
		target: "≥ 5,000 req/s", met: atLeast(r.rps, 5000)})

	const acctImages = "111111111111"
	form = "Action=DescribeImages&Version=2016-11-15"
	reply, err = fetch(ctx, url, acctImages, "us-east-1", form)
	if err != nil {
		return err
	}
	call := func(c *ec2.Client) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{})
			return err
		}
	}
	return sdkAndRaw(ctx, o, t, fmt.Sprintf("DescribeImages (%d mock images)", len(mock.DefaultImages)), url, acctImages, "us-east-1", form, reply, call, "", 0)
}

// sdkAndRaw measures one read-only call with the SDK at concurrency 1 and 4
// and with raw HTTP at concurrency 4, each in rounds taken in turn with the
// same client against a canned copy of the reply, and adds the rows. A
// target, when given, is judged on the concurrency-4 rows.
func sdkAndRaw(ctx context.Context, o options, t *table, name, url, acct, region, form string, reply []byte,
	call func(*ec2.Client) func(context.Context) error, target string, min float64) error {
	canned, stop, err := listen(cannedReply(reply))
	if err != nil {
		return err
	}
	defer stop()
	for _, conc := range []int{1, 4} {
		rs, err := interleaved(ctx, conc, o.rounds, o.roundTime, nil, call(newClient(url, acct, region)), call(newClient(canned, acct, region)))
		if err != nil {
			return err
		}
		r, base := rs[0], rs[1]
		rw := row{name: fmt.Sprintf("%s, SDK, concurrency %d", name, conc), figure: r.String(),
			baseline: "SDK alone " + num(base.rps) + " req/s", ratio: fmt.Sprintf("%.2f×", r.rps/base.rps)}
		if conc == 4 && target != "" {
			rw.target, rw.met = target, atLeast(r.rps, min)
		}
		t.add(rw)
	}
	rs, err := interleaved(ctx, 4, o.rounds, o.roundTime, nil, rawPost(url, acct, region, form), rawPost(canned, acct, region, form))
	if err != nil {
		return err
	}
	r, base := rs[0], rs[1]
	rw := row{name: fmt.Sprintf("%s, raw HTTP (Server only), concurrency 4", name), figure: r.String(),
		baseline: "HTTP alone " + num(base.rps) + " req/s", ratio: fmt.Sprintf("%.2f×", r.rps/base.rps)}
	if target != "" {
		rw.target, rw.met = target, atLeast(r.rps, min)
	}
	t.add(rw)
	return nil
}

// authHeader is a SigV4-shaped Authorization header naming account and
// region; the Server reads its scope and checks no signature.
func authHeader(account, region string) string {
	return "AWS4-HMAC-SHA256 Credential=" + account + "/20261127/" + region + "/ec2/aws4_request, SignedHeaders=host, Signature=0"
}

var rawClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

// post sends form as the SDK would and returns the answer's status and body.
func post(ctx context.Context, url, account, region, form string, body io.Writer) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(form))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", authHeader(account, region))
	resp, err := rawClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(body, resp.Body)
	return resp.StatusCode, err
}

// rawPost returns an op that posts form and discards the answer: the
// Server's cost without the SDK's signing and XML decoding.
func rawPost(url, account, region, form string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		status, err := post(ctx, url, account, region, form, io.Discard)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("%s: HTTP %d", form, status)
		}
		return err
	}
}

// fetch returns the Server's answer to form.
func fetch(ctx context.Context, url, account, region, form string) ([]byte, error) {
	var b strings.Builder
	status, err := post(ctx, url, account, region, form, &b)
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("%s: HTTP %d: %s", form, status, b.String())
	}
	return []byte(b.String()), err
}

// cannedReply answers every request with reply at once, after reading the
// request, as the fastest possible server would.
func cannedReply(reply []byte) http.Handler {
	n := strconv.Itoa(len(reply))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
		w.Header().Set("Content-Length", n)
		w.Write(reply)
	})
}
