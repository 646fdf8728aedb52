package ec2emu

import (
	"net/http"
	"strings"
)

// scope is the account and region a request acts in; EC2 state is
// partitioned by it.
type scope struct {
	account string
	region  string
}

// scopeOf reads the region from the SigV4 credential scope (header or query
// form), the account from the access key when that is a 12-digit account ID
// (LocalStack's convention), and falls back to the configured defaults.
// Signatures are checked separately (authenticate), and only when the
// Server has credentials.
func (s *Server) scopeOf(r *http.Request) scope {
	sc := scope{account: s.cfg.accountID, region: s.cfg.region}
	parts := credentialScope(r)
	if len(parts) >= 3 && parts[2] != "" {
		sc.region = parts[2]
	}
	if len(parts) > 0 && isAccountID(parts[0]) {
		sc.account = parts[0]
	}
	return sc
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ServiceOf returns the service named in a request's SigV4 credential scope
// ("ec2" for EC2 clients), or "" when the request is not signed with SigV4.
// A gateway that serves several services on one port routes on it.
func ServiceOf(r *http.Request) string {
	if parts := credentialScope(r); len(parts) >= 4 {
		return parts[3]
	}
	return ""
}

// credentialScope splits a SigV4 credential, from the Authorization header
// or the X-Amz-Credential query parameter, into access key, date, region,
// service and terminator; nil when the request is not signed with SigV4.
func credentialScope(r *http.Request) []string {
	cred := ""
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "AWS4-") {
		if _, rest, ok := strings.Cut(a, "Credential="); ok {
			cred, _, _ = strings.Cut(rest, ",")
		}
	} else {
		cred = r.URL.Query().Get("X-Amz-Credential")
	}
	if cred = strings.TrimSpace(cred); cred == "" {
		return nil
	}
	return strings.Split(cred, "/")
}
