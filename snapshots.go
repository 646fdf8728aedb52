package ec2emu

// restorableSnapshot returns the backend data of snapshot id, which c may
// make volumes from, and its size in GiB. Callers hold s.mu.
func (s *Server) restorableSnapshot(z *tenant, c *call, id string) (data string, size int, err error) {
	return "", 0, apiErr(ErrInvalidSnapshotNotFound, "The snapshot '%s' does not exist.", id)
}
