package backend

import "context"

// ImageTagger is an optional capability: a new AMI with the content of an
// image the backend already has, without a machine (CopyImage, and
// RegisterImage from an engine image). A backend without it answers those
// actions UnsupportedOperation.
//
// source is either an AMI the backend lists (ValidImageID) or an image in
// the engine's own terms (for docker, an image reference such as
// "busybox:latest" or an image ID). TagImage makes spec.ImageID with
// spec's name, description and metadata, as CreateImage would, and the
// source's architecture; the source is left as it was. A source it does
// not have is reported with an error wrapping ErrNotFound.
type ImageTagger interface {
	TagImage(ctx context.Context, source string, spec ImageSpec) (Image, error)
}
