package ec2emu

import (
	"context"
	"log/slog"
	"slices"

	"github.com/ec2emu/ec2emu/xmlproto"
)

// handler answers one action; the request has passed the model check.
type handler func(ctx context.Context, c *call) (any, error)

// op adapts a handler of a typed request: the request is decoded from the
// call's parameters before h runs, the same way for every action.
func op[R any](h func(ctx context.Context, c *call, req *R) (any, error)) handler {
	return func(ctx context.Context, c *call) (any, error) {
		req := new(R)
		if err := c.decode(req); err != nil {
			return nil, err
		}
		if c.log.Enabled(ctx, slog.LevelDebug) {
			if unused := xmlproto.Unused(c.req.Params, append([]any{req}, alsoDecoded[c.action]...)...); len(unused) > 0 {
				// In the EC2 model (checked before) but not read here.
				c.log.Debug("parameters accepted but not used", "requestId", c.requestID, "action", c.action, "params", unused)
			}
		}
		return h(ctx, c, req)
	}
}

// alsoDecoded names, per action, the request types a handler decodes from
// the same parameters besides its own, so their keys are not logged as
// unused.
var alsoDecoded = map[string][]any{"RunInstances": {&xmlproto.RunInstancesAttributes{}, &xmlproto.RunInstancesMarketOptions{}, &struct {
	LT *xmlproto.LaunchTemplateSpecification `ec2:"LaunchTemplate"`
}{}}}

func (s *Server) routes() map[string]handler {
	return map[string]handler{
		"RunInstances":                  op(s.runInstances),
		"DescribeInstances":             op(s.describeInstances),
		"StartInstances":                s.startInstances,
		"StopInstances":                 s.stopInstances,
		"TerminateInstances":            s.terminateInstances,
		"RebootInstances":               s.rebootInstances,
		"DescribeInstanceStatus":        op(s.describeInstanceStatus),
		"GetConsoleOutput":              op(s.getConsoleOutput),
		"CreateImage":                   op(s.createImage),
		"DescribeImages":                op(s.describeImages),
		"DeregisterImage":               op(s.deregisterImage),
		"CopyImage":                     op(s.copyImage),
		"RegisterImage":                 op(s.registerImage),
		"DescribeImageAttribute":        op(s.describeImageAttribute),
		"ModifyImageAttribute":          op(s.modifyImageAttribute),
		"ResetImageAttribute":           op(s.resetImageAttribute),
		"CreateKeyPair":                 op(s.createKeyPair),
		"ImportKeyPair":                 op(s.importKeyPair),
		"DescribeKeyPairs":              op(s.describeKeyPairs),
		"DeleteKeyPair":                 op(s.deleteKeyPair),
		"CreateTags":                    op(s.createTags),
		"DeleteTags":                    op(s.deleteTags),
		"DescribeTags":                  op(s.describeTags),
		"DescribeRegions":               op(s.describeRegions),
		"DescribeAvailabilityZones":     op(s.describeAvailabilityZones),
		"DescribeVpcs":                  op(s.describeVpcs),
		"DescribeSubnets":               op(s.describeSubnets),
		"DescribeSecurityGroups":        op(s.describeSecurityGroups),
		"DescribeSecurityGroupRules":    op(s.describeSecurityGroupRules),
		"CreateSecurityGroup":           op(s.createSecurityGroup),
		"DeleteSecurityGroup":           op(s.deleteSecurityGroup),
		"AuthorizeSecurityGroupIngress": s.authorizeIngress,
		"AuthorizeSecurityGroupEgress":  s.authorizeEgress,
		"RevokeSecurityGroupIngress":    s.revokeIngress,
		"RevokeSecurityGroupEgress":     s.revokeEgress,
		"DescribeInstanceTypes":         op(s.describeInstanceTypes),

		// The VPC control plane (vpc.go, routetables.go).
		"CreateVpc":                         op(s.createVpc),
		"CreateDefaultVpc":                  op(s.createDefaultVpc),
		"DeleteVpc":                         op(s.deleteVpc),
		"DescribeVpcAttribute":              op(s.describeVpcAttribute),
		"ModifyVpcAttribute":                op(s.modifyVpcAttribute),
		"CreateSubnet":                      op(s.createSubnet),
		"CreateNetworkInterface":            op(s.createNetworkInterface),
		"DeleteNetworkInterface":            op(s.deleteNetworkInterface),
		"DescribeNetworkInterfaces":         op(s.describeNetworkInterfaces),
		"AttachNetworkInterface":            op(s.attachNetworkInterface),
		"DetachNetworkInterface":            op(s.detachNetworkInterface),
		"ModifyNetworkInterfaceAttribute":   op(s.modifyNetworkInterfaceAttribute),
		"DescribeNetworkInterfaceAttribute": op(s.describeNetworkInterfaceAttribute),
		"ResetNetworkInterfaceAttribute":    op(s.resetNetworkInterfaceAttribute),
		"DeleteSubnet":                      op(s.deleteSubnet),
		"ModifySubnetAttribute":             op(s.modifySubnetAttribute),
		"CreateInternetGateway":             op(s.createInternetGateway),
		"DeleteInternetGateway":             op(s.deleteInternetGateway),
		"AttachInternetGateway":             op(s.attachInternetGateway),
		"DetachInternetGateway":             op(s.detachInternetGateway),
		"DescribeInternetGateways":          op(s.describeInternetGateways),
		"CreateRouteTable":                  op(s.createRouteTable),
		"DeleteRouteTable":                  op(s.deleteRouteTable),
		"DescribeRouteTables":               op(s.describeRouteTables),
		"CreateRoute":                       op(s.createRoute),
		"ReplaceRoute":                      op(s.replaceRoute),
		"DeleteRoute":                       op(s.deleteRoute),
		"AssociateRouteTable":               op(s.associateRouteTable),
		"DisassociateRouteTable":            op(s.disassociateRouteTable),
		"ReplaceRouteTableAssociation":      op(s.replaceRouteTableAssociation),
		"DescribeNetworkAcls":               op(s.describeNetworkAcls),
		"DescribeAccountAttributes":         op(s.describeAccountAttributes),
		"DescribeInstanceTypeOfferings":     op(s.describeInstanceTypeOfferings),

		// Elastic IP addresses (addresses.go).
		"AllocateAddress":            op(s.allocateAddress),
		"AssociateAddress":           op(s.associateAddress),
		"DisassociateAddress":        op(s.disassociateAddress),
		"ReleaseAddress":             op(s.releaseAddress),
		"DescribeAddresses":          op(s.describeAddresses),
		"DescribeAddressesAttribute": op(s.describeAddressesAttribute),

		// Instance attributes (attributes.go, credits.go, volumes.go).
		"DescribeInstanceAttribute":            op(s.describeInstanceAttribute),
		"ModifyInstanceAttribute":              op(s.modifyInstanceAttribute),
		"DescribeInstanceCreditSpecifications": op(s.describeInstanceCreditSpecifications),
		"ModifyInstanceCreditSpecification":    op(s.modifyInstanceCreditSpecification),
		"ModifyInstanceMaintenanceOptions":     op(s.modifyInstanceMaintenanceOptions),
		"ModifyInstanceMetadataOptions":        op(s.modifyInstanceMetadataOptions),
		"DescribeVolumes":                      op(s.describeVolumes),

		// EBS volumes (ebs.go, ebsapi.go) and snapshots (snapshots.go).
		"CreateVolume":                 op(s.createVolume),
		"DeleteVolume":                 op(s.deleteVolume),
		"AttachVolume":                 op(s.attachVolume),
		"DetachVolume":                 op(s.detachVolume),
		"ModifyVolume":                 op(s.modifyVolume),
		"DescribeVolumesModifications": op(s.describeVolumesModifications),
		"DescribeVolumeStatus":         op(s.describeVolumeStatus),
		"DescribeVolumeAttribute":      op(s.describeVolumeAttribute),
		"ModifyVolumeAttribute":        op(s.modifyVolumeAttribute),

		"CreateSnapshot":            op(s.createSnapshot),
		"CreateSnapshots":           op(s.createSnapshots),
		"DescribeSnapshots":         op(s.describeSnapshots),
		"DeleteSnapshot":            op(s.deleteSnapshot),
		"CopySnapshot":              op(s.copySnapshot),
		"DescribeSnapshotAttribute": op(s.describeSnapshotAttribute),
		"ModifySnapshotAttribute":   op(s.modifySnapshotAttribute),
		"ResetSnapshotAttribute":    op(s.resetSnapshotAttribute),

		// Launch templates (launchtemplates.go).
		"CreateLaunchTemplate":           op(s.createLaunchTemplate),
		"CreateLaunchTemplateVersion":    op(s.createLaunchTemplateVersion),
		"DescribeLaunchTemplates":        op(s.describeLaunchTemplates),
		"DescribeLaunchTemplateVersions": op(s.describeLaunchTemplateVersions),
		"ModifyLaunchTemplate":           op(s.modifyLaunchTemplate),
		"DeleteLaunchTemplate":           op(s.deleteLaunchTemplate),
		"DeleteLaunchTemplateVersions":   op(s.deleteLaunchTemplateVersions),
		"GetLaunchTemplateData":          op(s.getLaunchTemplateData),

		// EC2 Fleets (fleets.go, fleetmaintain.go).
		"CreateFleet":            op(s.createFleet),
		"ModifyFleet":            op(s.modifyFleet),
		"DescribeFleetHistory":   op(s.describeFleetHistory),
		"DescribeFleets":         op(s.describeFleets),
		"DescribeFleetInstances": op(s.describeFleetInstances),
		"DeleteFleets":           op(s.deleteFleets),

		// One-time Spot Instance requests (spot.go).
		"RequestSpotInstances":         op(s.requestSpotInstances),
		"DescribeSpotInstanceRequests": op(s.describeSpotInstanceRequests),
		"CancelSpotInstanceRequests":   op(s.cancelSpotInstanceRequests),
	}
}

// Actions returns the EC2 actions the Server answers, sorted.
func (s *Server) Actions() []string {
	out := make([]string, 0, len(s.handlers))
	for a := range s.handlers {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}
