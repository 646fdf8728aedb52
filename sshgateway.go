package ec2emu

func (s *Server) startSSH() {}
