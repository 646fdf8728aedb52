package ec2emu

// CrashForTest stops s as a killed process would stop: no commit after this
// one, requests in flight and later ones get their connection closed
// without an answer, background work stops, and the state database is
// closed without a last write. A backend passed to New stays open, as an
// engine outlives the emulator.
func (s *Server) CrashForTest() {
	if p := s.store; p != nil {
		p.mu.Lock()
		p.crashed = true
		p.cond.Broadcast()
		p.mu.Unlock()
	}
	s.Close()
}

// FailStoreWritesForTest makes every later commit fail with err, as a full
// disk would.
func (s *Server) FailStoreWritesForTest(err error) {
	s.store.mu.Lock()
	s.store.inject = err
	s.store.mu.Unlock()
}
