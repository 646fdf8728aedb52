package backend

// ImageMaker is an optional capability: a backend whose CreateImage can
// never succeed (e.g. kubernetes: a pod cannot be snapshotted through the
// Kubernetes API) reports MakesImages() == false, so that the Server answers
// CreateImage with UnsupportedOperation at once, rather than accepting it
// and leaving an image in state failed. A backend without it makes images.
type ImageMaker interface {
	MakesImages() bool
}
