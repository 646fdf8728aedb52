//go:build linux

package docker_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ec2emu/ec2emu/backend"
	"github.com/ec2emu/ec2emu/docker"
	"github.com/ec2emu/ec2emu/internal/dockertest"
)

// volumeBench is a backend in a fresh namespace for a volume benchmark,
// with its namespace's containers, volumes and mounts removed at the end.
func volumeBench(b *testing.B) (*docker.Backend, string, func(id string) string) {
	cli := dockertest.Require(b)
	ns := dockertest.Namespace(b)
	dockertest.RemoveContainersOnCleanup(b, cli, docker.LabelNamespace, ns)
	ami, _ := dockertest.UniqueAMI(b, cli)
	be, err := docker.New(b.Context(), docker.WithNamespace(ns))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { be.Close() })
	if err := be.DeleteVolume(b.Context(), "vol-0000000000000none"); errors.Is(err, backend.ErrUnsupported) {
		b.Skip(err)
	}
	mountpoint := func(id string) string {
		v, err := cli.VolumeInspect(b.Context(), "ec2emu-vol."+ns+"."+id)
		if err != nil {
			b.Fatal(err)
		}
		return v.Mountpoint
	}
	return be, ami, mountpoint
}

// BenchmarkAttachVisible measures AttachVolume of a volume holding a file
// to a running instance, until the file is visible inside (polled with
// exec): go test -run '^$' -bench AttachVisible -benchtime 20x ./docker/
func BenchmarkAttachVisible(b *testing.B) {
	be, ami, mountpoint := volumeBench(b)
	ctx := b.Context()
	id := "i-" + dockertest.Namespace(b)[5:]
	if _, err := be.Launch(ctx, backend.LaunchSpec{InstanceID: id, ImageID: ami}); err != nil {
		b.Fatal(err)
	}
	vol := "vol-" + dockertest.Namespace(b)[5:]
	if err := be.CreateVolume(ctx, backend.VolumeSpec{ID: vol, SizeGiB: 1}); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mountpoint(vol), "f"), []byte("x"), 0o644); err != nil {
		b.Fatal(err)
	}
	att := backend.VolumeAttachment{VolumeID: vol, Device: "/dev/sdf"}
	visible := func() bool {
		code, err := be.Exec(ctx, id, backend.ExecSpec{Cmd: []string{"test", "-e", "/ebs/sdf/f"}})
		return err == nil && code == 0
	}
	var total, attach time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := be.AttachVolume(ctx, id, att); err != nil {
			b.Fatal(err)
		}
		attach += time.Since(t0)
		deadline := time.Now().Add(10 * time.Second)
		for !visible() {
			if time.Now().After(deadline) {
				b.Fatal("the attached volume's file is not visible after 10 s")
			}
		}
		total += time.Since(t0)
		b.StopTimer()
		if err := be.DetachVolume(ctx, id, att); err != nil {
			b.Fatal(err)
		}
		if visible() {
			b.Fatal("the file is still visible after DetachVolume")
		}
		b.StartTimer()
	}
	// visible-ms is what a client sees; attach-ms the call alone (the rest
	// is the exec that looks).
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "visible-ms")
	b.ReportMetric(float64(attach.Microseconds())/1000/float64(b.N), "attach-ms")
}

// BenchmarkCreateSnapshot100MiB measures CreateSnapshot of a volume holding
// 100 MiB (100 files of 1 MiB of random data, and 200 small ones in
// subdirectories) against a plain `cp -a` of the same files to a fresh
// directory of the same disk, side by side:
// go test -run '^$' -bench CreateSnapshot100MiB -benchtime 5x ./docker/
func BenchmarkCreateSnapshot100MiB(b *testing.B) {
	be, _, mountpoint := volumeBench(b)
	ctx := b.Context()
	vol := "vol-" + dockertest.Namespace(b)[5:]
	if err := be.CreateVolume(ctx, backend.VolumeSpec{ID: vol, SizeGiB: 1}); err != nil {
		b.Fatal(err)
	}
	src := mountpoint(vol)
	fill(b, src)
	scratch := b.TempDir()
	if !sameDevice(b, src, scratch) {
		b.Logf("%s and %s are on different devices: the comparison is less fair", src, scratch)
	}

	var snapTotal, cpTotal time.Duration
	for i := 0; b.Loop(); i++ {
		snap := fmt.Sprintf("snap-%s%04d", dockertest.Namespace(b)[5:], i)
		cp := func() {
			dst := filepath.Join(scratch, fmt.Sprint(i))
			if err := os.Mkdir(dst, 0o755); err != nil {
				b.Fatal(err)
			}
			t0 := time.Now()
			if out, err := exec.CommandContext(ctx, "cp", "-a", src+"/.", dst+"/").CombinedOutput(); err != nil {
				b.Fatalf("cp -a: %v: %s", err, out)
			}
			cpTotal += time.Since(t0)
		}
		snapshot := func() {
			t0 := time.Now()
			if err := be.CreateSnapshot(ctx, vol, snap); err != nil {
				b.Fatal(err)
			}
			snapTotal += time.Since(t0)
		}
		// Alternate which goes first, so neither always finds the
		// other's writes being flushed.
		if i%2 == 0 {
			snapshot()
			cp()
		} else {
			cp()
			snapshot()
		}
		b.StopTimer()
		if err := be.DeleteSnapshot(context.WithoutCancel(ctx), snap); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(filepath.Join(scratch, fmt.Sprint(i)))
		b.StartTimer()
	}
	snapMS := float64(snapTotal.Microseconds()) / 1000 / float64(b.N)
	cpMS := float64(cpTotal.Microseconds()) / 1000 / float64(b.N)
	b.ReportMetric(snapMS, "snapshot-ms")
	b.ReportMetric(cpMS, "cp-a-ms")
	b.ReportMetric(snapMS/cpMS, "ratio")
}

// fill writes the benchmark's 100 MiB into dir.
func fill(b *testing.B, dir string) {
	buf := make([]byte, 1<<20)
	for i := range 100 {
		rand.Read(buf)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("big-%03d", i)), buf, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	for d := range 10 {
		sub := filepath.Join(dir, fmt.Sprintf("dir-%d", d))
		if err := os.Mkdir(sub, 0o750); err != nil {
			b.Fatal(err)
		}
		for i := range 20 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("small-%02d", i)), buf[:100+i], 0o600); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := os.Symlink("big-000", filepath.Join(dir, "link")); err != nil {
		b.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "big-001"), filepath.Join(dir, "hard")); err != nil {
		b.Fatal(err)
	}
	syscall.Sync()
}

func sameDevice(b *testing.B, x, y string) bool {
	var sx, sy syscall.Stat_t
	if syscall.Stat(x, &sx) != nil || syscall.Stat(y, &sy) != nil {
		return false
	}
	return sx.Dev == sy.Dev
}
