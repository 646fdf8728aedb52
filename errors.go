package ec2emu

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/ec2emu/ec2emu/backend"
)

// ErrorCode is an EC2 error code exactly as it appears on the wire.
type ErrorCode string

// The EC2 error codes the Server answers. errorStatus gives each its HTTP
// status.
const (
	ErrAuthFailure                  ErrorCode = "AuthFailure"
	ErrDryRunOperation              ErrorCode = "DryRunOperation"
	ErrIdempotentParameterMismatch  ErrorCode = "IdempotentParameterMismatch"
	ErrIncorrectInstanceState       ErrorCode = "IncorrectInstanceState"
	ErrIncompleteSignature          ErrorCode = "IncompleteSignature"
	ErrIncorrectState               ErrorCode = "IncorrectState"
	ErrInstanceLimitExceeded        ErrorCode = "InstanceLimitExceeded"
	ErrInsufficientInstanceCapacity ErrorCode = "InsufficientInstanceCapacity"
	ErrInternalError                ErrorCode = "InternalError"
	ErrInvalidAction                ErrorCode = "InvalidAction"
	ErrInvalidAMIIDMalformed        ErrorCode = "InvalidAMIID.Malformed"
	ErrInvalidAMIIDNotFound         ErrorCode = "InvalidAMIID.NotFound"
	ErrInvalidAMIIDUnavailable      ErrorCode = "InvalidAMIID.Unavailable"
	ErrInvalidAMINameDuplicate      ErrorCode = "InvalidAMIName.Duplicate"
	ErrInvalidAMINameMalformed      ErrorCode = "InvalidAMIName.Malformed"
	ErrInvalidAMIAttributeItemValue ErrorCode = "InvalidAMIAttributeItemValue"
	ErrInvalidSnapshotNotFound      ErrorCode = "InvalidSnapshot.NotFound"
	ErrInvalidSnapshotIDMalformed   ErrorCode = "InvalidSnapshotID.Malformed"
	ErrInvalidSnapshotInUse         ErrorCode = "InvalidSnapshot.InUse"
	ErrInvalidID                    ErrorCode = "InvalidID"
	ErrInvalidInstanceIDMalformed   ErrorCode = "InvalidInstanceID.Malformed"
	ErrInvalidInstanceIDNotFound    ErrorCode = "InvalidInstanceID.NotFound"
	ErrInvalidKeyFormat             ErrorCode = "InvalidKey.Format"
	ErrInvalidKeyPairDuplicate      ErrorCode = "InvalidKeyPair.Duplicate"
	ErrInvalidKeyPairNotFound       ErrorCode = "InvalidKeyPair.NotFound"
	ErrInvalidKeyPairIDMalformed    ErrorCode = "InvalidKeyPairId.Malformed"
	ErrInvalidParameter             ErrorCode = "InvalidParameter"
	ErrInvalidParameterCombination  ErrorCode = "InvalidParameterCombination"
	ErrInvalidParameterValue        ErrorCode = "InvalidParameterValue"
	ErrInvalidRegionNotFound        ErrorCode = "InvalidRegion.NotFound"
	ErrInvalidUserDataMalformed     ErrorCode = "InvalidUserData.Malformed"
	ErrInvalidNextToken             ErrorCode = "InvalidNextToken"
	ErrMissingAction                ErrorCode = "MissingAction"
	ErrMissingAuthenticationToken   ErrorCode = "MissingAuthenticationToken"
	ErrMissingParameter             ErrorCode = "MissingParameter"
	ErrOperationNotPermitted        ErrorCode = "OperationNotPermitted"
	ErrRequestEntityTooLarge        ErrorCode = "RequestEntityTooLarge"
	ErrRequestExpired               ErrorCode = "RequestExpired"
	ErrSignatureDoesNotMatch        ErrorCode = "SignatureDoesNotMatch"
	ErrTagLimitExceeded             ErrorCode = "TagLimitExceeded"
	ErrUnavailable                  ErrorCode = "Unavailable"
	ErrUnknownParameter             ErrorCode = "UnknownParameter"
	ErrUnsupportedOperation         ErrorCode = "UnsupportedOperation"
	ErrVcpuLimitExceeded            ErrorCode = "VcpuLimitExceeded"

	// Networking and instance types.
	ErrCannotDelete                        ErrorCode = "CannotDelete"
	ErrDependencyViolation                 ErrorCode = "DependencyViolation"
	ErrInvalidGroupDuplicate               ErrorCode = "InvalidGroup.Duplicate"
	ErrInvalidGroupNotFound                ErrorCode = "InvalidGroup.NotFound"
	ErrInvalidGroupIDMalformed             ErrorCode = "InvalidGroupId.Malformed"
	ErrInvalidInstanceType                 ErrorCode = "InvalidInstanceType"
	ErrInvalidNetworkInterfaceIDNotFound   ErrorCode = "InvalidNetworkInterfaceID.NotFound"
	ErrInvalidPermissionDuplicate          ErrorCode = "InvalidPermission.Duplicate"
	ErrInvalidPermissionMalformed          ErrorCode = "InvalidPermission.Malformed"
	ErrInvalidPermissionNotFound           ErrorCode = "InvalidPermission.NotFound"
	ErrInvalidSecurityGroupRuleIDNotFound  ErrorCode = "InvalidSecurityGroupRuleId.NotFound"
	ErrInvalidSecurityGroupRuleIDMalformed ErrorCode = "InvalidSecurityGroupRuleId.Malformed"
	ErrInvalidSubnetIDMalformed            ErrorCode = "InvalidSubnetID.Malformed"
	ErrInvalidSubnetIDNotFound             ErrorCode = "InvalidSubnetID.NotFound"
	ErrInvalidVpcIDMalformed               ErrorCode = "InvalidVpcID.Malformed"
	ErrInvalidVpcIDNotFound                ErrorCode = "InvalidVpcID.NotFound"
	ErrRulesPerSecurityGroupLimitExceeded  ErrorCode = "RulesPerSecurityGroupLimitExceeded"
)

// Codes of the VPC control plane: VPCs, subnets, internet gateways, route
// tables and network ACLs (all 400).
const (
	ErrDefaultVpcAlreadyExists               ErrorCode = "DefaultVpcAlreadyExists"
	ErrGatewayNotAttached                    ErrorCode = "Gateway.NotAttached"
	ErrInsufficientFreeAddressesInSubnet     ErrorCode = "InsufficientFreeAddressesInSubnet"
	ErrInvalidAssociationIDNotFound          ErrorCode = "InvalidAssociationID.NotFound"
	ErrInvalidGatewayIDNotFound              ErrorCode = "InvalidGatewayID.NotFound"
	ErrInvalidInternetGatewayIDMalformed     ErrorCode = "InvalidInternetGatewayId.Malformed"
	ErrInvalidInternetGatewayIDNotFound      ErrorCode = "InvalidInternetGatewayID.NotFound"
	ErrInvalidNatGatewayIDNotFound           ErrorCode = "InvalidNatGatewayID.NotFound"
	ErrInvalidNetworkACLIDMalformed          ErrorCode = "InvalidNetworkAclId.Malformed"
	ErrInvalidNetworkACLIDNotFound           ErrorCode = "InvalidNetworkAclID.NotFound"
	ErrInvalidPrefixListIDNotFound           ErrorCode = "InvalidPrefixListID.NotFound"
	ErrInvalidRouteNotFound                  ErrorCode = "InvalidRoute.NotFound"
	ErrInvalidRouteTableIDMalformed          ErrorCode = "InvalidRouteTableId.Malformed"
	ErrInvalidRouteTableIDNotFound           ErrorCode = "InvalidRouteTableID.NotFound"
	ErrInvalidSubnetConflict                 ErrorCode = "InvalidSubnet.Conflict"
	ErrInvalidSubnetRange                    ErrorCode = "InvalidSubnet.Range"
	ErrInvalidTransitGatewayIDNotFound       ErrorCode = "InvalidTransitGatewayID.NotFound"
	ErrInvalidVpcPeeringConnectionIDNotFound ErrorCode = "InvalidVpcPeeringConnectionID.NotFound"
	ErrInvalidVpcRange                       ErrorCode = "InvalidVpc.Range"
	ErrMissingInput                          ErrorCode = "MissingInput"
	ErrResourceAlreadyAssociated             ErrorCode = "Resource.AlreadyAssociated"
	ErrRouteAlreadyExists                    ErrorCode = "RouteAlreadyExists"
	ErrUnsupportedTenancy                    ErrorCode = "UnsupportedTenancy"
	ErrVPCIDNotSpecified                     ErrorCode = "VPCIdNotSpecified"
)

// Codes of the Elastic IP address actions (400 but
// InsufficientAddressCapacity, a server error).
const (
	ErrAddressLimitExceeded               ErrorCode = "AddressLimitExceeded"
	ErrInsufficientAddressCapacity        ErrorCode = "InsufficientAddressCapacity"
	ErrInvalidAddressMalformed            ErrorCode = "InvalidAddress.Malformed"
	ErrInvalidAddressNotFound             ErrorCode = "InvalidAddress.NotFound"
	ErrInvalidAllocationIDNotFound        ErrorCode = "InvalidAllocationID.NotFound"
	ErrInvalidIPAddressInUse              ErrorCode = "InvalidIPAddress.InUse"
	ErrInvalidInstanceID                  ErrorCode = "InvalidInstanceID"
	ErrInvalidNetworkInterfaceIDMalformed ErrorCode = "InvalidNetworkInterfaceID.Malformed"
)

// Codes of the instance attribute, credit and volume actions (all 400).
const (
	ErrInstanceCreditSpecificationNotSupported ErrorCode = "InstanceCreditSpecification.NotSupported"
	ErrInvalidBlockDeviceMapping               ErrorCode = "InvalidBlockDeviceMapping"
	ErrInvalidVolumeIDMalformed                ErrorCode = "InvalidVolumeID.Malformed"
	ErrInvalidVolumeNotFound                   ErrorCode = "InvalidVolume.NotFound"
	ErrInvalidVolumeZoneMismatch               ErrorCode = "InvalidVolume.ZoneMismatch"
	ErrVolumeInUse                             ErrorCode = "VolumeInUse"
	ErrInvalidAttachmentNotFound               ErrorCode = "InvalidAttachment.NotFound"
)

// Codes of the launch-template actions (all 400).
const (
	ErrInvalidLaunchTemplateIDMalformed       ErrorCode = "InvalidLaunchTemplateId.Malformed"
	ErrInvalidLaunchTemplateIDNotFound        ErrorCode = "InvalidLaunchTemplateId.NotFound"
	ErrInvalidLaunchTemplateIDVersionNotFound ErrorCode = "InvalidLaunchTemplateId.VersionNotFound"
	ErrInvalidLaunchTemplateNameAlreadyExists ErrorCode = "InvalidLaunchTemplateName.AlreadyExistsException"
	ErrInvalidLaunchTemplateNameMalformed     ErrorCode = "InvalidLaunchTemplateName.MalformedException"
	ErrInvalidLaunchTemplateNameNotFound      ErrorCode = "InvalidLaunchTemplateName.NotFoundException"
)

// Codes of the EC2 Fleet actions (all 400).
const (
	ErrInvalidFleetIDMalformed ErrorCode = "InvalidFleetId.Malformed"
	ErrInvalidFleetIDNotFound  ErrorCode = "InvalidFleetId.NotFound"
)

// Codes of Spot Instance requests (all 400).
const (
	ErrInvalidSpotInstanceRequestIDMalformed ErrorCode = "InvalidSpotInstanceRequestID.Malformed"
	ErrInvalidSpotInstanceRequestIDNotFound  ErrorCode = "InvalidSpotInstanceRequestID.NotFound"
)

// errorStatus is the one table of code → HTTP status. Codes not listed are
// client faults (400).
var errorStatus = map[ErrorCode]int{
	ErrAuthFailure:                  http.StatusUnauthorized,
	ErrDryRunOperation:              http.StatusPreconditionFailed,
	ErrInsufficientInstanceCapacity: http.StatusInternalServerError,
	ErrInsufficientAddressCapacity:  http.StatusInternalServerError,
	ErrInternalError:                http.StatusInternalServerError,
	ErrMissingAuthenticationToken:   http.StatusForbidden,
	ErrRequestEntityTooLarge:        http.StatusRequestEntityTooLarge,
	ErrSignatureDoesNotMatch:        http.StatusForbidden,
	ErrUnavailable:                  http.StatusServiceUnavailable,
}

// Status returns the HTTP status EC2 answers with for code.
func (c ErrorCode) Status() int {
	if s, ok := errorStatus[c]; ok {
		return s
	}
	return http.StatusBadRequest
}

// Error is an EC2 error answer: a code and a message for the client.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

func apiErr(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

var errDryRun = &Error{Code: ErrDryRunOperation, Message: "Request would have succeeded, but DryRun flag is set."}

// fromBackend maps a backend error to its EC2 answer: the backend package's
// sentinels have one meaning each; anything else is an internal error.
func fromBackend(err error, what string) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, backend.ErrUnavailable):
		return apiErr(ErrUnavailable, "The service is unavailable: %s. Please try again shortly.", strings.TrimSpace(err.Error()))
	case errors.Is(err, backend.ErrCapacity):
		return apiErr(ErrInsufficientInstanceCapacity, "Insufficient capacity.")
	case errors.Is(err, backend.ErrUnsupported):
		return apiErr(ErrUnsupportedOperation, "The %s operation is not supported by this backend.", what)
	}
	return nil
}

// notFoundIDs formats EC2's message for unknown IDs: singular and plural
// differ ("The instance ID 'i-1' does not exist" / "The instance IDs 'i-1,
// i-2' do not exist").
func notFoundIDs(kind string, ids []string) string {
	if len(ids) == 1 {
		return fmt.Sprintf("The %s ID '%s' does not exist", kind, ids[0])
	}
	return fmt.Sprintf("The %s IDs '%s' do not exist", kind, strings.Join(ids, ", "))
}

// Codes of private addresses and network interfaces (all 400).
const (
	ErrInvalidNetworkInterfaceInUse        ErrorCode = "InvalidNetworkInterface.InUse"
	ErrInvalidAttachmentIDNotFound         ErrorCode = "InvalidAttachmentID.NotFound"
	ErrInvalidNetworkInterfaceAttachmentID ErrorCode = "InvalidNetworkInterfaceAttachmentId.Malformed"
	ErrAttachmentLimitExceeded             ErrorCode = "AttachmentLimitExceeded"
)
