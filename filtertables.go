package ec2emu

// one is a filter table's value for a field an item has once (none when
// empty).
func one(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
