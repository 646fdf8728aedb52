package ec2emu

import (
	"context"
	"crypto/ed25519"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"golang.org/x/crypto/ssh"
	"iter"
	"math/big"
	"slices"
	"strings"
	"unicode"

	"github.com/ec2emu/ec2emu/internal/query"
	"github.com/ec2emu/ec2emu/xmlproto"
)

// Key pairs are kept per account and region. CreateKeyPair makes a real key
// (RSA 2048 or ED25519) so the private key works with ssh against backends
// that install the public key; fingerprints follow AWS's rules.

func validKeyName(name string) error {
	if name == "" {
		return apiErr(ErrMissingParameter, "The request must contain the parameter KeyName")
	}
	if len(name) > 255 {
		return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter keyName is invalid. Length exceeds maximum of 255 ASCII characters.", name)
	}
	for _, r := range name {
		if r > 127 {
			return apiErr(ErrInvalidParameterValue, "Value (%s) for parameter keyName is invalid. Character sets beyond ASCII are not supported.", name)
		}
	}
	return nil
}

func keyPairTags(specs []xmlproto.TagSpecification) ([]xmlproto.Tag, error) {
	var tags []xmlproto.Tag
	for _, ts := range specs {
		if ts.ResourceType != "key-pair" {
			return nil, apiErr(ErrInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation.", ts.ResourceType)
		}
		if err := validateTags(ts.Tags); err != nil {
			return nil, err
		}
		tags = setTags(tags, ts.Tags)
	}
	return tags, nil
}

func (s *Server) createKeyPair(ctx context.Context, c *call, req *xmlproto.KeyPairRequest) (any, error) {
	name := req.KeyName
	if err := validKeyName(name); err != nil {
		return nil, err
	}
	keyType := req.KeyType
	if keyType == "" {
		keyType = "rsa"
	}
	if keyType != "rsa" && keyType != "ed25519" {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter keyType is invalid. Valid values are rsa and ed25519.", keyType)
	}
	if req.KeyFormat != "" && req.KeyFormat != "pem" && req.KeyFormat != "ppk" {
		return nil, apiErr(ErrInvalidParameterValue, "Value (%s) for parameter keyFormat is invalid. Valid values are pem and ppk.", req.KeyFormat)
	}
	if req.KeyFormat == "ppk" {
		return nil, apiErr(ErrUnsupportedOperation, "The ppk key format is not supported by this emulator; use pem.")
	}
	tags, err := keyPairTags(req.TagSpecifications)
	if err != nil {
		return nil, err
	}
	if err := s.checkKeyNameFree(c.scope, name); err != nil {
		return nil, err
	}
	if req.DryRun {
		return nil, errDryRun
	}
	// Key generation is slow (RSA): do it before taking the lock.
	material, pub, fp, err := generateKey(keyType)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	if z.keyPairs[name] != nil {
		return nil, apiErr(ErrInvalidKeyPairDuplicate, "The keypair '%s' already exists.", name)
	}
	kp := &keyPair{id: newID("key-"), name: name, keyType: keyType, fingerprint: fp, publicKey: pub, authorized: pub, created: s.cfg.now().UTC(), tags: tags}
	z.keyPairs[name] = kp
	s.touchTenant(z, partKeyPairs)
	return &xmlproto.KeyPair{KeyPairID: kp.id, KeyName: name, KeyFingerprint: fp, KeyMaterial: material, Tags: tags}, nil
}

func (s *Server) checkKeyNameFree(sc scope, name string) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if z := s.tenants[sc]; z != nil && z.keyPairs[name] != nil {
		return apiErr(ErrInvalidKeyPairDuplicate, "The keypair '%s' already exists.", name)
	}
	return nil
}

func (s *Server) importKeyPair(ctx context.Context, c *call, req *xmlproto.KeyPairRequest) (any, error) {
	name := req.KeyName
	if err := validKeyName(name); err != nil {
		return nil, err
	}
	if req.PublicKeyMaterial == nil || *req.PublicKeyMaterial == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter PublicKeyMaterial")
	}
	// PublicKeyMaterial is a blob: base64 of the OpenSSH public key line.
	raw, err := base64.StdEncoding.DecodeString(*req.PublicKeyMaterial)
	if err != nil {
		raw = []byte(*req.PublicKeyMaterial) // some clients send the line itself
	}
	line := importedKeyLine(string(raw))
	keyType, pub, fp, err := parseOpenSSHPublicKey(line)
	if err != nil {
		return nil, apiErr(ErrInvalidKeyFormat, "Key is not in valid OpenSSH public key format")
	}
	tags, err := keyPairTags(req.TagSpecifications)
	if err != nil {
		return nil, err
	}
	if req.DryRun {
		if err := s.checkKeyNameFree(c.scope, name); err != nil {
			return nil, err
		}
		return nil, errDryRun
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	if z.keyPairs[name] != nil {
		return nil, apiErr(ErrInvalidKeyPairDuplicate, "The keypair '%s' already exists.", name)
	}
	kp := &keyPair{id: newID("key-"), name: name, keyType: keyType, fingerprint: fp, publicKey: pub,
		authorized: withComment(pub, line), created: s.cfg.now().UTC(), tags: tags}
	z.keyPairs[name] = kp
	s.touchTenant(z, partKeyPairs)
	return &xmlproto.KeyPair{KeyPairID: kp.id, KeyName: name, KeyFingerprint: fp, Tags: tags}, nil
}

func (s *Server) deleteKeyPair(ctx context.Context, c *call, req *xmlproto.KeyPairRequest) (any, error) {
	name := req.KeyName
	if name == "" && req.KeyPairID == "" {
		return nil, apiErr(ErrMissingParameter, "The request must contain the parameter KeyName or KeyPairId")
	}
	if req.KeyPairID != "" && !keyPairIDRe.MatchString(req.KeyPairID) {
		return nil, apiErr(ErrInvalidKeyPairIDMalformed, "Invalid id: \"%s\"", req.KeyPairID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	z := s.tenant(c.scope)
	var kp *keyPair
	if name != "" {
		kp = z.keyPairs[name]
	} else {
		for _, k := range z.keyPairs {
			if k.id == req.KeyPairID {
				kp = k
			}
		}
		if kp == nil {
			return nil, apiErr(ErrInvalidKeyPairNotFound, "The key pair ID '%s' does not exist", req.KeyPairID)
		}
	}
	if req.DryRun {
		return nil, errDryRun
	}
	// Deleting a key pair that does not exist by name succeeds, as on AWS.
	out := &xmlproto.DeleteKeyPairResponse{Return: true}
	if kp != nil {
		delete(z.keyPairs, kp.name)
		s.touchTenant(z, partKeyPairs)
		out.KeyPairID = kp.id
	}
	return out, nil
}

var keyPairFields = query.Fields[*keyPair]{
	ByName: map[string]func(*keyPair) []string{
		"key-name":    func(k *keyPair) []string { return one(k.name) },
		"key-pair-id": func(k *keyPair) []string { return one(k.id) },
		"fingerprint": func(k *keyPair) []string { return one(k.fingerprint) },
		"key-type":    func(k *keyPair) []string { return one(k.keyType) },
	},
	Tags: func(k *keyPair) []xmlproto.Tag { return k.tags },
}

func (s *Server) describeKeyPairs(ctx context.Context, c *call, req *xmlproto.DescribeKeyPairsRequest) (any, error) {
	// Key pairs are named by name or by ID: the query's IDs are the IDs,
	// and the names are checked in list.
	spec := describeSpec[*keyPair]{
		checkIDs: eachID(func(id string) error {
			if !keyPairIDRe.MatchString(id) {
				return apiErr(ErrInvalidKeyPairIDMalformed, "Invalid id: \"%s\"", id)
			}
			return nil
		}),
		fields: keyPairFields,
		list: func(s *Server, ctx context.Context, c *call, ids []string) (iter.Seq[*keyPair], error) {
			var all []*keyPair
			if z := s.tenants[c.scope]; z != nil {
				for _, kp := range z.keyPairs {
					all = append(all, kp)
				}
			}
			slices.SortFunc(all, func(a, b *keyPair) int { return strings.Compare(a.name, b.name) })
			for _, n := range req.KeyNames {
				if !slices.ContainsFunc(all, func(k *keyPair) bool { return k.name == n }) {
					return nil, apiErr(ErrInvalidKeyPairNotFound, "The key pair '%s' does not exist", n)
				}
			}
			if id, ok := firstMissing(ids, func(id string) bool {
				return slices.ContainsFunc(all, func(k *keyPair) bool { return k.id == id })
			}); ok {
				return nil, apiErr(ErrInvalidKeyPairNotFound, "The key pair ID '%s' does not exist", id)
			}
			items := named(slices.Values(all), req.KeyNames, func(k *keyPair) string { return k.name })
			return named(items, ids, func(k *keyPair) string { return k.id }), nil
		},
		emit: func(s *Server, c *call, page []*keyPair, next string) any {
			out := &xmlproto.DescribeKeyPairsResponse{KeyPairs: make([]xmlproto.KeyPairInfo, 0, len(page))}
			for _, kp := range page {
				info := xmlproto.KeyPairInfo{KeyPairID: kp.id, KeyType: kp.keyType, Tags: kp.tags, CreateTime: kp.created,
					KeyName: kp.name, KeyFingerprint: kp.fingerprint}
				if req.IncludePublicKey {
					info.PublicKey = kp.publicKey
				}
				out.KeyPairs = append(out.KeyPairs, info)
			}
			return out
		},
	}
	return describe(ctx, s, c, describeQuery{ids: req.KeyPairIDs, filters: req.Filters, dryRun: req.DryRun}, &spec)
}

// generateKey makes a key pair and returns the private key as AWS hands it
// out (PKCS#1 PEM for RSA, OpenSSH PEM for ED25519), the public key in
// authorized_keys form, and AWS's fingerprint for keys it creates (SHA-1 of
// the PKCS#8 private key for RSA, SHA-256 of the public key for ED25519).
func generateKey(keyType string) (material, pub, fp string, err error) {
	if keyType == "ed25519" {
		pk, sk, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", "", "", err
		}
		blob := sshString(nil, "ssh-ed25519")
		blob = sshString(blob, string(pk))
		pub = "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob)
		sum := sha256.Sum256(blob)
		return openSSHPrivateKey(pk, sk, blob), pub, base64.RawStdEncoding.EncodeToString(sum[:]) + "=", nil
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", "", err
	}
	material = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", "", "", err
	}
	sum := sha1.Sum(pkcs8)
	return material, rsaAuthorizedKey(&k.PublicKey), colonHex(sum[:]), nil
}

func rsaAuthorizedKey(pk *rsa.PublicKey) string {
	blob := sshString(nil, "ssh-rsa")
	blob = sshMPInt(blob, big.NewInt(int64(pk.E)))
	blob = sshMPInt(blob, pk.N)
	return "ssh-rsa " + base64.StdEncoding.EncodeToString(blob)
}

// openSSHPrivateKey writes an unencrypted "openssh-key-v1" private key, the
// only PEM form ssh accepts for ED25519.
func openSSHPrivateKey(pk ed25519.PublicKey, sk ed25519.PrivateKey, pubBlob []byte) string {
	var check [4]byte
	rand.Read(check[:])
	priv := append([]byte{}, check[:]...)
	priv = append(priv, check[:]...)
	priv = sshString(priv, "ssh-ed25519")
	priv = sshString(priv, string(pk))
	priv = sshString(priv, string(sk))
	priv = sshString(priv, "")
	for i := byte(1); len(priv)%8 != 0; i++ {
		priv = append(priv, i)
	}
	out := []byte("openssh-key-v1\x00")
	out = sshString(out, "none")
	out = sshString(out, "none")
	out = sshString(out, "")
	out = binary.BigEndian.AppendUint32(out, 1)
	out = sshString(out, string(pubBlob))
	out = sshString(out, string(priv))
	return string(pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: out}))
}

func sshString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func sshMPInt(b []byte, n *big.Int) []byte {
	v := n.Bytes()
	if len(v) > 0 && v[0]&0x80 != 0 {
		v = append([]byte{0}, v...)
	}
	return sshString(b, string(v))
}

func readSSHString(b []byte) (string, []byte, bool) {
	if len(b) < 4 {
		return "", nil, false
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(len(b)-4) < uint64(n) {
		return "", nil, false
	}
	return string(b[4 : 4+n]), b[4+n:], true
}

// importedKeyLine turns the public key formats ImportKeyPair accepts, as
// AWS documents them, into an authorized_keys line: the OpenSSH format as
// it is, the SSH2 public key file of RFC 4716 (its Comment header kept as
// the comment), and base64 DER (a SubjectPublicKeyInfo, RSA or ED25519;
// also taken unencoded). Anything else is returned trimmed, for
// parseOpenSSHPublicKey to refuse.
func importedKeyLine(raw string) string {
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "---- BEGIN SSH2 PUBLIC KEY ----") {
		if line, ok := rfc4716Line(s); ok {
			return line
		}
		return s
	}
	if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), "")); err == nil {
		if line, ok := derLine(der); ok {
			return line
		}
	}
	if line, ok := derLine([]byte(raw)); ok {
		return line
	}
	return s
}

// rfc4716Line reads an SSH2 public key file (RFC 4716 section 3): the
// begin and end markers, headers "Tag: value" (a line ending in a
// backslash continues on the next), then the base64 key blob.
func rfc4716Line(s string) (string, bool) {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if len(lines) < 3 || strings.TrimSpace(lines[len(lines)-1]) != "---- END SSH2 PUBLIC KEY ----" {
		return "", false
	}
	var comment, body strings.Builder
	inHeader, continued, header := true, false, ""
	for _, l := range lines[1 : len(lines)-1] {
		l = strings.TrimSpace(l)
		if inHeader && (continued || strings.Contains(l, ":")) {
			continued = strings.HasSuffix(l, "\\")
			header += strings.TrimSuffix(l, "\\")
			if !continued {
				if tag, v, ok := strings.Cut(header, ":"); ok && strings.EqualFold(strings.TrimSpace(tag), "Comment") {
					comment.WriteString(strings.Trim(strings.TrimSpace(v), `"`))
				}
				header = ""
			}
			continue
		}
		inHeader = false
		body.WriteString(l)
	}
	blob, err := base64.StdEncoding.DecodeString(body.String())
	if err != nil {
		return "", false
	}
	algo, _, ok := readSSHString(blob)
	if !ok {
		return "", false
	}
	line := algo + " " + base64.StdEncoding.EncodeToString(blob)
	if c := comment.String(); c != "" {
		line += " " + c
	}
	return line, true
}

// derLine reads a DER SubjectPublicKeyInfo holding an RSA or ED25519 key.
func derLine(der []byte) (string, bool) {
	pk, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return "", false
	}
	switch pk.(type) {
	case *rsa.PublicKey, ed25519.PublicKey:
	default:
		return "", false
	}
	sp, err := ssh.NewPublicKey(pk)
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))), true
}

// parseOpenSSHPublicKey reads an authorized_keys line and returns the key
// type, the normalised line (without comment) and AWS's fingerprint for
// imported keys: MD5 of the DER public key for RSA, SHA-256 for ED25519.
func parseOpenSSHPublicKey(line string) (keyType, pub, fp string, err error) {
	fieldsOf := strings.Fields(line)
	if len(fieldsOf) < 2 {
		return "", "", "", fmt.Errorf("not an OpenSSH public key")
	}
	blob, err := base64.StdEncoding.DecodeString(fieldsOf[1])
	if err != nil {
		return "", "", "", err
	}
	algo, rest, ok := readSSHString(blob)
	if !ok || algo != fieldsOf[0] {
		return "", "", "", fmt.Errorf("malformed key blob")
	}
	pub = fieldsOf[0] + " " + fieldsOf[1]
	switch algo {
	case "ssh-rsa":
		e, rest, ok1 := readSSHString(rest)
		n, _, ok2 := readSSHString(rest)
		if !ok1 || !ok2 || len(n) == 0 || len(e) == 0 || len(e) > 8 {
			return "", "", "", fmt.Errorf("malformed RSA key")
		}
		pk := &rsa.PublicKey{N: new(big.Int).SetBytes([]byte(n)), E: int(new(big.Int).SetBytes([]byte(e)).Int64())}
		der, err := x509.MarshalPKIXPublicKey(pk)
		if err != nil {
			return "", "", "", err
		}
		sum := md5.Sum(der)
		return "rsa", pub, colonHex(sum[:]), nil
	case "ssh-ed25519":
		k, _, ok := readSSHString(rest)
		if !ok || len(k) != ed25519.PublicKeySize {
			return "", "", "", fmt.Errorf("malformed ED25519 key")
		}
		sum := sha256.Sum256(blob)
		return "ed25519", pub, base64.RawStdEncoding.EncodeToString(sum[:]) + "=", nil
	}
	return "", "", "", fmt.Errorf("unsupported key type %q", algo)
}

// withComment returns pub followed by the comment of line, the imported
// authorized_keys line, if it has a printable one: users tell their keys
// apart in an instance's authorized_keys by it.
func withComment(pub, line string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(line), "\n")
	f := strings.Fields(first)
	if len(f) < 3 {
		return pub
	}
	comment := strings.Join(f[2:], " ")
	for _, r := range comment {
		if !unicode.IsPrint(r) {
			return pub
		}
	}
	return pub + " " + comment
}

func colonHex(b []byte) string {
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%02x", c)
	}
	return sb.String()
}
