package ec2emu

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/ec2emu/ec2emu/backend"
)

// The SSH gateway. When the backend can run commands in its machines
// (backend.Execer), port 22 of an instance's public address — subject to
// its security groups like any port — is answered by an SSH server in the
// emulator, so `ssh -i key.pem ec2-user@<public ip>` works on an image
// with no sshd: only the private key of the instance's key pair gets in,
// under any user name; the session runs as that user if the image has it,
// else as root. Sessions run through Exec: a shell with a PTY and window
// changes, commands with their exit status and separate stderr, the
// environment, stdin EOF, SFTP (modern scp speaks it; sftpexec.go), and
// direct-tcpip (ssh -L, -J) to the instance's own ports. Each instance has
// an Ed25519 host key derived from the Server's host key secret and its
// ID, so it stays the same across restarts of the emulator; its
// fingerprint is in GetConsoleOutput as cloud-init prints it.

// WithSSHHostKeySecret sets the secret instance host keys are derived
// from. Keep it the same across restarts to keep the keys. Default: a value
// derived from the namespace, which is stable but not secret: set one when
// other users of this host must not be able to impersonate your instances.
func WithSSHHostKeySecret(secret []byte) Option {
	return func(c *config) { c.access.hostKeySecret = bytes.Clone(secret) }
}

// startSSH makes port 22 an SSH server when the backend can exec.
func (s *Server) startSSH() {
	ex, ok := s.b.(backend.Execer)
	if !ok {
		return // port 22 is forwarded to the machine's own sshd
	}
	s.fwd.serveSSH = func(ctx context.Context, c net.Conn, id string) { s.serveSSH(ctx, c, id, ex) }
}

// hostKey is instance id's SSH host key.
func (s *Server) hostKey(id string) ssh.Signer {
	secret := s.cfg.access.hostKeySecret
	if len(secret) == 0 {
		secret = []byte("ec2emu ssh host keys\x00" + s.cfg.namespace)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("ed25519\x00" + id))
	signer, err := ssh.NewSignerFromKey(ed25519.NewKeyFromSeed(m.Sum(nil)))
	if err != nil {
		panic(err) // an Ed25519 key from a 32-byte seed always converts
	}
	return signer
}

// HostKey returns instance id's SSH host key as an authorized_keys line
// (for known_hosts: prefix the address). It is the same across restarts of
// the emulator as long as WithSSHHostKeySecret is.
func (s *Server) HostKey(id string) string {
	return string(bytes.TrimSpace(ssh.MarshalAuthorizedKey(s.hostKey(id).PublicKey())))
}

// hostKeyConsole is what cloud-init prints for the host keys.
func (s *Server) hostKeyConsole(id string) string {
	pub := s.hostKey(id).PublicKey()
	return fmt.Sprintf("ec2: \nec2: #############################################################\n"+
		"ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----\n"+
		"ec2: 256 %s root@%s (ED25519)\n"+
		"ec2: -----END SSH HOST KEY FINGERPRINTS-----\n"+
		"ec2: #############################################################\n"+
		"-----BEGIN SSH HOST KEY KEYS-----\n%s\n-----END SSH HOST KEY KEYS-----\n",
		ssh.FingerprintSHA256(pub), id, s.HostKey(id))
}

// instanceKey is the public key of instance id's key pair, nil for none.
func (s *Server) instanceKey(id string) ssh.PublicKey {
	s.mu.RLock()
	defer s.mu.RUnlock()
	inst := s.instances[id]
	if inst == nil || inst.access.launchKey == "" {
		return nil
	}
	pk, _, _, _, err := ssh.ParseAuthorizedKey([]byte(inst.access.launchKey))
	if err != nil {
		return nil
	}
	return pk
}

func (s *Server) serveSSH(ctx context.Context, c net.Conn, id string, ex backend.Execer) {
	cfg := &ssh.ServerConfig{
		ServerVersion: "SSH-2.0-ec2emu",
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if want := s.instanceKey(id); want != nil && bytes.Equal(want.Marshal(), key.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("not the instance's key pair")
		},
	}
	cfg.AddHostKey(s.hostKey(id))
	c.SetDeadline(time.Now().Add(30 * time.Second)) // for the handshake only
	conn, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		s.log.Debug("ssh: handshake failed", "instance", id, "err", err)
		return
	}
	c.SetDeadline(time.Time{})
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	go ssh.DiscardRequests(reqs)
	user := s.sshUser(ctx, ex, id, conn.User())
	var wg sync.WaitGroup
	defer wg.Wait()
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.sshSession(ctx, ex, id, user, nc)
			}()
		case "direct-tcpip":
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.sshDirect(ctx, id, nc)
			}()
		default:
			nc.Reject(ssh.UnknownChannelType, "unsupported channel type")
		}
	}
}

// userCache remembers which user names an instance's image has.
var userCache sync.Map // instance ID + "\x00" + user → exec user ("" for root)

// sshUser is the user a session of name runs as: name if the machine has
// it, else root.
func (s *Server) sshUser(ctx context.Context, ex backend.Execer, id, name string) string {
	if name == "" || name == "root" {
		return ""
	}
	key := id + "\x00" + name
	if u, ok := userCache.Load(key); ok {
		return u.(string)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	code, err := ex.Exec(ctx, id, backend.ExecSpec{Cmd: []string{"id", "-u", name}})
	u := ""
	if err == nil && code == 0 {
		u = name
	}
	if err == nil {
		userCache.Store(key, u)
	}
	return u
}

// Payloads of the session requests the gateway understands (RFC 4254).
type ptyReq struct {
	Term                 string
	Cols, Rows, PxW, PxH uint32
	Modes                string
}

type winChange struct{ Cols, Rows, PxW, PxH uint32 }

type envReq struct{ Name, Value string }

type execReq struct{ Command string }

func (s *Server) sshSession(ctx context.Context, ex backend.Execer, id, user string, nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	var (
		env     []string
		tty     bool
		size    backend.WindowSize
		resize  = make(chan backend.WindowSize, 4)
		started bool
		done    = make(chan struct{})
	)
	for {
		var req *ssh.Request
		select {
		case req = <-reqs:
		case <-done:
			return
		}
		if req == nil {
			<-doneOrNow(done, started)
			return
		}
		ok := false
		switch req.Type {
		case "env":
			var e envReq
			if ssh.Unmarshal(req.Payload, &e) == nil {
				env, ok = append(env, e.Name+"="+e.Value), true
			}
		case "pty-req":
			var p ptyReq
			if ssh.Unmarshal(req.Payload, &p) == nil && !started {
				tty, size, ok = true, backend.WindowSize{Rows: uint(p.Rows), Cols: uint(p.Cols)}, true
				env = append(env, "TERM="+p.Term)
			}
		case "window-change":
			var w winChange
			if ssh.Unmarshal(req.Payload, &w) == nil {
				select {
				case resize <- backend.WindowSize{Rows: uint(w.Rows), Cols: uint(w.Cols)}:
				default: // a later change will follow
				}
				ok = true
			}
		case "shell", "exec", "subsystem":
			if started {
				break
			}
			var cmd []string
			sftpSub := false
			switch req.Type {
			case "exec":
				var e execReq
				if ssh.Unmarshal(req.Payload, &e) != nil {
					break
				}
				cmd = []string{"/bin/sh", "-c", e.Command}
			case "subsystem":
				var e execReq
				if ssh.Unmarshal(req.Payload, &e) != nil || e.Command != "sftp" {
					break
				}
				sftpSub = true
			}
			if req.Type != "shell" && cmd == nil && !sftpSub {
				break
			}
			started, ok = true, true
			go func() {
				defer close(done)
				var code int
				if sftpSub {
					s.serveSFTP(ctx, ex, id, user, ch)
				} else {
					var err error
					code, err = ex.Exec(ctx, id, backend.ExecSpec{
						Cmd: cmd, User: user, Env: env, TTY: tty, Size: size, Resize: resize,
						Stdin: ch, Stdout: ch, Stderr: ch.Stderr(),
					})
					if err != nil {
						fmt.Fprintf(ch.Stderr(), "ec2emu: %v\r\n", err)
						code = 255
					}
				}
				ch.CloseWrite()
				ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
				ch.Close()
			}()
		}
		if req.WantReply {
			req.Reply(ok, nil)
		}
	}
}

// doneOrNow waits for a started command when the client has stopped
// sending requests; otherwise it returns at once.
func doneOrNow(done chan struct{}, started bool) <-chan struct{} {
	if started {
		return done
	}
	c := make(chan struct{})
	close(c)
	return c
}

// sshDirect forwards a direct-tcpip channel (ssh -L, ssh -J) to a port of
// the instance itself: the instance's own addresses and localhost name it.
func (s *Server) sshDirect(ctx context.Context, id string, nc ssh.NewChannel) {
	var d struct {
		Host     string
		Port     uint32
		OrigHost string
		OrigPort uint32
	}
	if err := ssh.Unmarshal(nc.ExtraData(), &d); err != nil {
		nc.Reject(ssh.ConnectionFailed, "bad request")
		return
	}
	s.mu.RLock()
	inst := s.instances[id]
	var priv, pub, dns string
	if inst != nil {
		priv, pub = inst.privateIP, inst.access.publicIP
		if priv != "" {
			dns = privateDNSName(priv, inst.tenant.region)
		}
	}
	s.mu.RUnlock()
	switch d.Host {
	case "localhost", "127.0.0.1", "::1", "0.0.0.0", priv, pub, dns:
	default:
		nc.Reject(ssh.Prohibited, "only the instance's own ports can be reached")
		return
	}
	if priv == "" {
		nc.Reject(ssh.ConnectionFailed, "instance has no address")
		return
	}
	dl := net.Dialer{Timeout: 10 * time.Second}
	up, err := dl.DialContext(ctx, "tcp", net.JoinHostPort(priv, strconv.Itoa(int(d.Port))))
	if err != nil {
		nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	defer up.Close()
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	defer ch.Close()
	go ssh.DiscardRequests(reqs)
	stop := context.AfterFunc(ctx, func() { up.Close(); ch.Close() })
	defer stop()
	done := make(chan struct{})
	go func() {
		io.Copy(up, ch)
		if tc, ok := up.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		close(done)
	}()
	io.Copy(ch, up)
	ch.CloseWrite()
	<-done
}

// withHostKeys appends the host key fingerprints to a console output, as
// cloud-init prints them, when the SSH gateway serves the instance.
func (s *Server) withHostKeys(id string, out []byte) []byte {
	if s.fwd == nil || s.fwd.serveSSH == nil {
		return out
	}
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	return append(out, s.hostKeyConsole(id)...)
}
