// Package virtualbox is an ec2emu backend that runs EC2 instances as
// VirtualBox VMs. It drives VBoxManage, through
// github.com/terra-farm/go-virtualbox where that library has the call and
// directly otherwise, and registers itself as "virtualbox":
//
//	import _ "github.com/ec2emu/ec2emu/virtualbox"
//	b, err := backend.Open(ctx, "virtualbox", backend.Config{Namespace: "dev"})
//
// # AMIs are template VMs
//
// A registered VM named
//
//	localstack-ec2-ami.<AmiName>.<AmiId>
//
// is an AMI (AmiId passes backend.ValidImageID; AmiName may contain dots). To
// offer an existing VM as an AMI, clone it under that name:
//
//	VBoxManage clonevm ubuntu-24.04 --name localstack-ec2-ami.ubuntu-24.04.ami-0123456789abcdef0 --register
//
// Optional extradata on the template: ec2emu/image/architecture ("x86_64",
// the default, or "arm64"), ec2emu/image/description and
// ec2emu/image/creation-date (RFC 3339; recorded on first sight if absent).
// Images made by CreateImage carry all of them. The template should have the
// Guest Additions installed so instances report their IP address.
//
// # Instances are linked clones
//
// Launch takes a snapshot named "ec2emu-base" of the template the first time
// (delete it to pick up changes to the template), makes a linked clone of it
// named
//
//	localstack-ec2.<InstanceId>
//
// (a full clone if no snapshot can be taken), records the instance in
// extradata and starts it headless. The extradata keys are
// ec2emu/namespace, ec2emu/instance-id, ec2emu/image-id,
// ec2emu/instance-type, ec2emu/launch-time, ec2emu/architecture and
// ec2emu/metadata (LaunchSpec.Metadata as JSON); Machines reads them back, so
// a new process re-adopts its instances. A VM counts as an instance only if
// its name has the instance prefix and its extradata names the same instance
// ID and this backend's namespace: the backend never lists, changes or
// deletes any other VM but its namespace lock.
//
// # Namespace lock
//
// backend.NamespaceLocker: a VM named ec2emu-lock.<namespace>, registered by
// createvm (which fails when the name's settings file exists, so VirtualBox
// decides who owns the namespace) and never started. Its extradata
// ec2emu/lock/holder names the holder (host, PID, start time, nonce) and
// ec2emu/lock/renewal is a counter the holder bumps every 10 s. A holder of
// this host whose process is gone is taken over at once; one that cannot be
// judged, once the counter has not moved for backend.LeaseTimeout (30 s).
//
// # Guest properties
//
// Before the first start the backend sets, for a guest agent or cloud-init
// to read with VBoxControl:
//
//	/ec2emu/instance-id, /ec2emu/ami-id, /ec2emu/instance-type, /ec2emu/key-name
//	/ec2emu/user-data/parts, /ec2emu/user-data/0 … (user data, base64, in parts)
//	/ec2emu/public-key/parts, /ec2emu/public-key/0 … (OpenSSH public key, same)
//
// A blob is base64 split into parts of at most 120 characters because
// VirtualBox caps a guest property value at 127; concatenate parts 0 to
// parts-1 and decode. In a guest:
//
//	n=$(VBoxControl --nologo guestproperty get /ec2emu/user-data/parts | sed 's/^Value: //')
//	i=0; while [ $i -lt $n ]; do VBoxControl --nologo guestproperty get /ec2emu/user-data/$i | sed 's/^Value: //'; i=$((i+1)); done | tr -d '\n' | base64 -d
//
// The private IP is read from /VirtualBox/GuestInfo/Net/0/V4/IP, which the
// Guest Additions maintain; Launch waits briefly for it (WithIPWait).
//
// # Life cycle
//
// Stop presses the ACPI power button and powers the VM off if the guest has
// not shut down within the stop timeout (WithStopTimeout, default 30s).
// Start runs startvm --type headless, Reboot controlvm reset, Terminate
// powers off and runs unregistervm --delete. CreateImage clones the
// instance into a new template (stopping it for the copy unless NoReboot,
// which copies from a temporary live snapshot). DeregisterImage deletes the
// template; while linked clones still use its disk it is renamed
// localstack-ec2-ami-deregistered.<AmiId> and deleted after the last of them
// is terminated. VM states map as running → running; poweroff, saved,
// aborted, paused → stopped; starting, restoring → pending; stopping, saving
// → stopping. Watch polls for drift (a VM powered off or deleted behind the
// backend's back).
//
// # Settings
//
// The "virtualbox" opener (backend.Open) reads EC2_VBOX_MANAGE (path of
// VBoxManage), VBOX_INSTALL_PATH and EC2_VBOX_STOP_TIMEOUT through
// backend.Config.Getenv; New takes the equivalent options.
//
// # Testing without VirtualBox
//
// The tests build internal/vboxmanagesim, a simulator of the VBoxManage
// commands used here, name it VBoxManage and put it first on PATH. Set
// EC2EMU_VBOX_REAL=1 to run the same tests against a real VirtualBox, with
// EC2EMU_VBOX_TEMPLATE naming a template VM in the AMI scheme.
package virtualbox
