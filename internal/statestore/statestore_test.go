package statestore

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// v1 stored a key pair as {"name":…,"material":…}; v2 renames material to
// publicKey and adds a type. The migration is what a real one looks like:
// every record of a bucket rewritten in the one transaction.
var (
	v1 = Schema{Version: 1, Buckets: []string{"keypairs"}}
	v2 = Schema{Version: 2, Buckets: []string{"keypairs", "groups"}, Migrations: []Migration{{From: 1, Run: func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("keypairs"))
		return b.ForEach(func(k, v []byte) error {
			var old struct{ Name, Material string }
			if err := json.Unmarshal(v, &old); err != nil {
				return err
			}
			if old.Material == "poison" {
				return errors.New("cannot migrate a poisoned record")
			}
			out, _ := json.Marshal(map[string]string{"name": old.Name, "publicKey": old.Material, "type": "rsa"})
			return b.Put(k, out)
		})
	}}}}
)

func write(t *testing.T, dir string, s Schema, recs map[string]string) {
	t.Helper()
	db, err := Open(dir, s)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ops []Op
	for k, v := range recs {
		ops = append(ops, Op{Bucket: "keypairs", Key: []byte(k), Value: []byte(v)})
	}
	if err := db.Apply(ops); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, db *DB, bucket string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := db.ForEach(bucket, func(k, v []byte) error { out[string(k)] = string(v); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrationForward(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, v1, map[string]string{"a/us-east-1/k1": `{"Name":"k1","Material":"ssh-rsa AAA"}`})
	db, err := Open(dir, v2)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Version(); err != nil || v != 2 {
		t.Errorf("version %d, %v; want 2", v, err)
	}
	want := map[string]string{"a/us-east-1/k1": `{"name":"k1","publicKey":"ssh-rsa AAA","type":"rsa"}`}
	if diff := cmp.Diff(want, read(t, db, "keypairs")); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if got := read(t, db, "groups"); len(got) != 0 {
		t.Errorf("new bucket holds %v", got)
	}
}

// A migration that fails changes nothing: the old version can still open
// the file and finds its records as they were.
func TestFailedMigrationChangesNothing(t *testing.T) {
	dir := t.TempDir()
	recs := map[string]string{"a/r/k1": `{"Name":"k1","Material":"fine"}`, "a/r/k2": `{"Name":"k2","Material":"poison"}`}
	write(t, dir, v1, recs)
	if _, err := Open(dir, v2); err == nil || !strings.Contains(err.Error(), "migrating from schema version 1") {
		t.Fatalf("Open: %v, want the migration's failure", err)
	}
	db, err := Open(dir, v1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if diff := cmp.Diff(recs, read(t, db, "keypairs")); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestRefusals(t *testing.T) {
	for _, tt := range []struct {
		name  string
		first Schema
		then  Schema
		want  string
		is    error
	}{
		{"newer", v2, v1, "schema version 2; this ec2emu reads up to 1", ErrNewer},
		{"no migration", v1, Schema{Version: 3, Buckets: v1.Buckets, Migrations: v2.Migrations}, "no migration from schema version 2", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, dir, tt.first, map[string]string{"k": `{}`})
			_, err := Open(dir, tt.then)
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("Open: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestInUse(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, v1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := Open(dir, v1); !errors.Is(err, ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
}

func TestApplyDeletes(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(dir, v1)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ops []Op
	for i := range 3 {
		ops = append(ops, Op{Bucket: "keypairs", Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")})
	}
	ops = append(ops, Op{Bucket: "keypairs", Key: []byte("k1")})
	if err := db.Apply(ops); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"k0": "v", "k2": "v"}, read(t, db, "keypairs")); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if err := db.Apply([]Op{{Bucket: "nope", Key: []byte("x"), Value: []byte("y")}}); err == nil {
		t.Error("a write to a bucket the schema lacks succeeded")
	}
}
