package ec2emu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/pkg/sftp"

	"github.com/ec2emu/ec2emu/backend"
)

// SFTP for images that have no sftp-server: github.com/pkg/sftp speaks the
// protocol, and every file operation is a command run with
// backend.Execer (cat, stat, mkdir, mv, rm — all in busybox and coreutils),
// so any backend that can exec gets scp and sftp.

func (s *Server) serveSFTP(ctx context.Context, ex backend.Execer, id, user string, rw io.ReadWriteCloser) {
	fs := &execFS{ctx: ctx, ex: ex, id: id, user: user}
	home := "/root"
	if user != "" {
		if out, err := fs.run(nil, "/bin/sh", "-c", `cd ~ 2>/dev/null && pwd`); err == nil && strings.TrimSpace(out) != "" {
			home = strings.TrimSpace(out)
		}
	}
	h := sftp.Handlers{FileGet: fs, FilePut: fs, FileCmd: fs, FileList: fs}
	// The server closes its stream when done; the session still has to
	// send the exit status on it, so it gets a stream it cannot close.
	srv := sftp.NewRequestServer(noClose{rw}, h, sftp.WithStartDirectory(home))
	if err := srv.Serve(); err != nil && !errors.Is(err, io.EOF) {
		s.log.Debug("sftp session ended", "instance", id, "err", err)
	}
	srv.Close()
}

type noClose struct{ io.ReadWriter }

func (noClose) Close() error { return nil }

// execFS is an instance's file system as SFTP handlers see it.
type execFS struct {
	ctx  context.Context
	ex   backend.Execer
	id   string
	user string
}

// run runs cmd with stdin and returns its stdout; a non-zero exit is an
// error carrying stderr.
func (f *execFS) run(stdin io.Reader, cmd ...string) (string, error) {
	var out, errb bytes.Buffer
	code, err := f.ex.Exec(f.ctx, f.id, backend.ExecSpec{Cmd: cmd, User: f.user, Stdin: stdin, Stdout: &out, Stderr: &errb})
	if err != nil {
		return "", err
	}
	if code != 0 {
		msg := strings.TrimSpace(errb.String())
		if strings.Contains(msg, "No such file") || strings.Contains(msg, "can't open") || strings.Contains(msg, "can't stat") {
			return "", os.ErrNotExist
		}
		if strings.Contains(msg, "ermission denied") {
			return "", os.ErrPermission
		}
		return "", fmt.Errorf("%s: exit %d: %s", cmd[0], code, msg)
	}
	return out.String(), nil
}

// Fileread implements sftp.FileReader: the whole file, read at once.
func (f *execFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	out, err := f.run(nil, "cat", "--", r.Filepath)
	if err != nil {
		return nil, err
	}
	return strings.NewReader(out), nil
}

// Filewrite implements sftp.FileWriter: the file is gathered in a
// temporary file on the host and written into the instance on close.
func (f *execFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	tmp, err := os.CreateTemp("", "ec2emu-sftp-*")
	if err != nil {
		return nil, err
	}
	os.Remove(tmp.Name()) // unlinked: gone with the handle
	return &upload{fs: f, path: r.Filepath, tmp: tmp}, nil
}

type upload struct {
	fs   *execFS
	path string
	tmp  *os.File
}

func (u *upload) WriteAt(p []byte, off int64) (int, error) { return u.tmp.WriteAt(p, off) }

func (u *upload) Close() error {
	defer u.tmp.Close()
	if _, err := u.tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := u.fs.run(u.tmp, "/bin/sh", "-c", `cat > "$1"`, "sh", u.path)
	return err
}

// Filecmd implements sftp.FileCmder.
func (f *execFS) Filecmd(r *sftp.Request) error {
	var err error
	switch r.Method {
	case "Setstat":
		if attrs := r.Attributes(); r.AttrFlags().Permissions && attrs != nil {
			_, err = f.run(nil, "chmod", strconv.FormatUint(uint64(attrs.FileMode().Perm()), 8), "--", r.Filepath)
		}
	case "Rename":
		_, err = f.run(nil, "mv", "--", r.Filepath, r.Target)
	case "Rmdir":
		_, err = f.run(nil, "rmdir", "--", r.Filepath)
	case "Remove":
		_, err = f.run(nil, "rm", "-f", "--", r.Filepath)
	case "Mkdir":
		_, err = f.run(nil, "mkdir", "--", r.Filepath)
	case "Symlink":
		_, err = f.run(nil, "ln", "-s", "--", r.Filepath, r.Target)
	case "Link":
		_, err = f.run(nil, "ln", "--", r.Filepath, r.Target)
	default:
		err = sftp.ErrSSHFxOpUnsupported
	}
	return err
}

// statFormat prints size, raw mode (hex), mtime and name, one file a line.
const statFormat = "%s %f %Y %n"

// Filelist implements sftp.FileLister.
func (f *execFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	switch r.Method {
	case "List":
		out, err := f.run(nil, "/bin/sh", "-c",
			`cd -- "$1" || exit 1; for n in * .[!.]* ..?*; do if [ -e "$n" ] || [ -L "$n" ]; then stat -c '`+statFormat+`' -- "$n"; fi; done`,
			"sh", r.Filepath)
		if err != nil {
			return nil, err
		}
		return parseStats(out), nil
	case "Stat":
		out, err := f.run(nil, "stat", "-L", "-c", statFormat, "--", r.Filepath)
		if err != nil {
			return nil, err
		}
		return parseStats(out), nil
	case "Readlink":
		out, err := f.run(nil, "readlink", "--", r.Filepath)
		if err != nil {
			return nil, err
		}
		return listerAt{fileInfo{name: strings.TrimSpace(out)}}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

func parseStats(out string) listerAt {
	var l listerAt
	for line := range strings.SplitSeq(strings.TrimRight(out, "\n"), "\n") {
		parts := strings.SplitN(line, " ", 4)
		if len(parts) != 4 {
			continue
		}
		size, _ := strconv.ParseInt(parts[0], 10, 64)
		raw, _ := strconv.ParseUint(parts[1], 16, 32)
		mt, _ := strconv.ParseInt(parts[2], 10, 64)
		l = append(l, fileInfo{name: path.Base(parts[3]), size: size, mode: unixMode(uint32(raw)), mtime: time.Unix(mt, 0)})
	}
	return l
}

// unixMode converts a stat(2) st_mode to an os.FileMode.
func unixMode(m uint32) os.FileMode {
	mode := os.FileMode(m & 0o777)
	switch m & 0o170000 {
	case 0o040000:
		mode |= os.ModeDir
	case 0o120000:
		mode |= os.ModeSymlink
	case 0o010000:
		mode |= os.ModeNamedPipe
	case 0o140000:
		mode |= os.ModeSocket
	case 0o020000:
		mode |= os.ModeDevice | os.ModeCharDevice
	case 0o060000:
		mode |= os.ModeDevice
	}
	return mode
}

type fileInfo struct {
	name  string
	size  int64
	mode  os.FileMode
	mtime time.Time
}

func (fi fileInfo) Name() string       { return fi.name }
func (fi fileInfo) Size() int64        { return fi.size }
func (fi fileInfo) Mode() os.FileMode  { return fi.mode }
func (fi fileInfo) ModTime() time.Time { return fi.mtime }
func (fi fileInfo) IsDir() bool        { return fi.mode.IsDir() }
func (fi fileInfo) Sys() any           { return nil }

type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if off+int64(n) >= int64(len(l)) {
		return n, io.EOF
	}
	return n, nil
}
