// Command gateway shows the Server mounted inside a larger mux, the way a
// LocalStack-style gateway serves many AWS services on one port: requests
// are routed by the service named in their SigV4 credential scope, and EC2
// requests go to the emulator.
//
//	go run ./examples/gateway -addr 127.0.0.1:4566
package main

import (
	"flag"
	"log"
	"net/http"

	"github.com/ec2emu/ec2emu"
	"github.com/ec2emu/ec2emu/backend/mock"
)

// Gateway routes each request to the handler of its service.
func Gateway(services map[string]http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_health" {
			w.Write([]byte(`{"ec2": "running"}`))
			return
		}
		h, ok := services[ec2emu.ServiceOf(r)]
		if !ok {
			http.Error(w, "no such service in this gateway", http.StatusNotImplemented)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func main() {
	addr := flag.String("addr", "127.0.0.1:4566", "address to listen on")
	flag.Parse()
	srv := ec2emu.New(mock.New())
	defer srv.Close()
	log.Printf("gateway on http://%s (ec2 → ec2emu with the mock backend)", *addr)
	log.Fatal(http.ListenAndServe(*addr, Gateway(map[string]http.Handler{"ec2": srv})))
}
