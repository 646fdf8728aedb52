package backend

import "context"

// ImageLooker is an optional capability: one image by its AMI ID, without
// listing them all. The Server resolves a RunInstances' image with it, which
// would otherwise cost a full Images listing per launch.
//
// It must be as fresh as Images: an image made, removed or changed outside
// the emulator is seen at once, and it returns what Images would list for
// id. An image it does not have is reported with an error wrapping
// ErrNotFound.
type ImageLooker interface {
	LookupImage(ctx context.Context, id string) (Image, error)
}
