package virtualbox_test

import (
	"context"
	"fmt"
	"log"

	"github.com/ec2emu/ec2emu/backend"
	_ "github.com/ec2emu/ec2emu/virtualbox" // registers "virtualbox"
)

// Open the backend by name, launch an instance from the first AMI template
// it finds, and terminate it. (The tests run this against the VBoxManage
// simulator.)
func Example() {
	ctx := context.Background()
	b, err := backend.Open(ctx, "virtualbox", backend.Config{Namespace: "example"})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()

	images, err := b.Images(ctx)
	if err != nil || len(images) == 0 {
		log.Fatal("no AMI templates: ", err)
	}
	m, err := b.Launch(ctx, backend.LaunchSpec{
		InstanceID:   "i-0example00000001",
		ImageID:      images[0].ID,
		InstanceType: "t3.micro",
		UserData:     []byte("#!/bin/sh\necho hello\n"),
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(m.ID, m.State)
	if err := b.Terminate(ctx, m.ID); err != nil {
		log.Fatal(err)
	}
	// Output: i-0example00000001 running
}
