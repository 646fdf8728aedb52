package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
)

// benchStore measures what the durable store (WithStateDir) costs: writes
// wait for an fsync (shared by concurrent requests), reads must not touch
// the disk, and a restart reads everything back. Each figure with the store
// on is taken in turn with the same figure on a Server without one.
func benchStore(ctx context.Context, o options, t *table) error {
	logf("state store: mock backend over loopback HTTP, with and without a state directory")
	dir, err := os.MkdirTemp("", "ec2bench-state-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	opts := []ec2emu.Option{ec2emu.WithVcpuLimit(1 << 30)}
	mem := ec2emu.New(mock.New(mock.WithDelay(0)), opts...)
	defer mem.Close()
	disk := ec2emu.New(mock.New(mock.WithDelay(0)), append(opts, ec2emu.WithStateDir(dir))...)
	defer disk.Close()
	memURL, stopMem, err := listen(mem)
	if err != nil {
		return err
	}
	defer stopMem()
	diskURL, stopDisk, err := listen(disk)
	if err != nil {
		return err
	}
	defer stopDisk()

	// RunInstances, spread over accounts (launchAccounts) on both servers.
	accts := &launchAccounts{base: 300000000000}
	run := func(u string) func(ctx context.Context) error {
		return func(ctx context.Context) error {
			_, err := accts.client(u, "eu-west-1").RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(mockAMI), MinCount: aws.Int32(1), MaxCount: aws.Int32(1)})
			return err
		}
	}
	rs, err := interleaved(ctx, 4, o.rounds, o.roundTime, nil, run(diskURL), run(memURL))
	if err != nil {
		return err
	}
	t.add(row{name: "RunInstances (1 instance), mock, state store on, SDK, concurrency 4", figure: rs[0].String(),
		baseline: "store off " + num(rs[1].rps) + " req/s", ratio: fmt.Sprintf("%.2f×", rs[0].rps/rs[1].rps),
		target: "≥ 2,000 req/s", met: atLeast(rs[0].rps, 2000)})
	// The same without the SDK's cost on the shared cores: the Server's own.
	form := "Action=RunInstances&ImageId=" + mockAMI + "&MaxCount=1&MinCount=1&Version=2016-11-15"
	rs, err = interleaved(ctx, 4, o.rounds, o.roundTime, nil, accts.raw(diskURL, "eu-west-1", form), accts.raw(memURL, "eu-west-1", form))
	if err != nil {
		return err
	}
	t.add(row{name: "RunInstances (1 instance), mock, state store on, raw HTTP (Server only), concurrency 4", figure: rs[0].String(),
		baseline: "store off " + num(rs[1].rps) + " req/s", ratio: fmt.Sprintf("%.2f×", rs[0].rps/rs[1].rps),
		target: "≥ 2,000 req/s", met: atLeast(rs[0].rps, 2000)})

	// DescribeInstances over 100 instances: the store must not slow reads.
	const readAcct = "111111111111"
	for _, u := range []string{memURL, diskURL} {
		c := newClient(u, readAcct, "us-east-1")
		if _, err := runInstances(ctx, c, mockAMI, 100); err != nil {
			return err
		}
		if err := waitNonePending(ctx, c, timeoutFor(100)); err != nil {
			return err
		}
	}
	describe := func(u string) func(ctx context.Context) error {
		c := newClient(u, readAcct, "us-east-1")
		return func(ctx context.Context) error {
			_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{})
			return err
		}
	}
	rs, err = interleaved(ctx, 4, o.rounds, o.roundTime, nil, describe(diskURL), describe(memURL))
	if err != nil {
		return err
	}
	ratio := rs[0].rps / rs[1].rps
	t.add(row{name: "DescribeInstances, 100 mock instances, state store on, SDK, concurrency 4", figure: rs[0].String(),
		baseline: "store off " + num(rs[1].rps) + " req/s", ratio: fmt.Sprintf("%.2f×", ratio),
		target: "unchanged (≥ 0.95× store off)", met: atLeast(ratio, 0.95)})

	return nil
}

// benchRestart (run with no other Server of the process holding public
// addresses: a pool nearly taken makes each allocation a long search) fills a state directory with 10,000 mock instances and 1,000
// key pairs and security groups, closes the Server, and times a new one's
// start until it is ready, over the same backend (the engine outlives the
// emulator), as the median of three.
func benchRestart(ctx context.Context, t *table) error {
	const instances, objects = 10000, 1000
	dir, err := os.MkdirTemp("", "ec2bench-restart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := mock.New(mock.WithDelay(0))
	opts := []ec2emu.Option{ec2emu.WithVcpuLimit(1 << 30), ec2emu.WithStateDir(dir)}
	srv := ec2emu.New(b, opts...)
	u, stop, err := listen(srv)
	if err != nil {
		srv.Close()
		return err
	}
	c := newClient(u, "111111111111", "us-east-1")
	// The instances go to three accounts: a default subnet holds 4,091.
	accounts := []string{"111111111111", "222222222222", "333333333333"}
	logf("state store: filling with %d instances, %d key pairs and %d groups", instances, objects, objects)
	fill := func() error {
		for n := 0; n < instances; n += 500 {
			if _, err := runInstances(ctx, newClient(u, accounts[n/500%3], "us-east-1"), mockAMI, 500); err != nil {
				return err
			}
		}
		for i := range objects {
			if _, err := c.ImportKeyPair(ctx, &ec2.ImportKeyPairInput{KeyName: aws.String(fmt.Sprintf("key-%d", i)),
				PublicKeyMaterial: []byte("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBcjJ0v7Yh5tJ0bmn5iUOC3o9mZ4dkx6m5zvJ8qXUWbA k")}); err != nil {
				return err
			}
			g, err := c.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{GroupName: aws.String(fmt.Sprintf("group-%d", i)), Description: aws.String("bench")})
			if err != nil {
				return err
			}
			if _, err := c.AuthorizeSecurityGroupIngress(ctx, &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId,
				IpPermissions: []types.IpPermission{{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(22), ToPort: aws.Int32(22),
					IpRanges: []types.IpRange{{CidrIp: aws.String("10.0.0.0/8")}}}}}); err != nil {
				return err
			}
		}
		for _, a := range accounts {
			if err := waitNonePending(ctx, newClient(u, a, "us-east-1"), 5*time.Minute); err != nil {
				return err
			}
		}
		return nil
	}
	err = fill()
	stop()
	srv.Close()
	if err != nil {
		return err
	}
	var times []time.Duration
	for range 3 {
		start := time.Now()
		srv := ec2emu.New(b, opts...)
		<-srv.Ready()
		times = append(times, time.Since(start))
		u, stop, err := listen(srv)
		if err != nil {
			srv.Close()
			return err
		}
		n := 0
		for _, a := range accounts {
			got, err := countInstances(ctx, newClient(u, a, "us-east-1"))
			if err != nil {
				stop()
				srv.Close()
				return err
			}
			n += got
		}
		stop()
		srv.Close()
		if n != instances {
			return fmt.Errorf("after the restart DescribeInstances shows %d instances, want %d", n, instances)
		}
	}
	d := medianDur(times)
	t.add(row{name: fmt.Sprintf("Restart with %s instances, %s key pairs and %s groups in the store, until ready",
		num(instances), num(objects), num(objects)), figure: d.Round(time.Millisecond).String(),
		target: "≤ 2 s", met: atMost(d.Seconds(), 2)})
	return nil
}
