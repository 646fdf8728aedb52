// Package statestore keeps the Server's EC2 state on disk in a bbolt
// database: one bucket per kind of record, keys and values opaque to it.
// A write is one transaction, fsynced before it returns, so what a caller
// acknowledged after Apply survives a crash. The database carries a schema
// version: a newer one is refused, an older one is migrated forward.
package statestore

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileName is the database's name inside the state directory.
const FileName = "ec2emu.db"

// metaBucket holds the schema version (key "version", decimal).
var metaBucket, versionKey = []byte("meta"), []byte("version")

// Migration moves a database from version From to From+1 inside one
// transaction.
type Migration struct {
	From int
	Run  func(tx *bolt.Tx) error
}

// Schema is what the caller's code reads and writes: its version, its
// buckets, and the migrations that bring an older database to it.
type Schema struct {
	Version    int
	Buckets    []string
	Migrations []Migration
}

// DB is an open state database.
type DB struct {
	db *bolt.DB
}

// ErrNewer: the database was written by a newer emulator.
var ErrNewer = errors.New("state was written by a newer version of ec2emu")

// ErrInUse: another process holds the database open.
var ErrInUse = errors.New("state directory is in use by another process")

// Open opens (creating if need be) the database in dir and brings it to
// schema's version. An unreadable or corrupt file, a newer version, or a
// directory another process holds is an error; nothing is reset.
func Open(dir string, schema Schema) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: time.Second,
		// The freelist is rebuilt on open instead of written with every
		// commit: smaller commits, and the database stays small here.
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("opening state %s: %w", path, err)
	}
	d := &DB{db: db}
	if err := d.prepare(path, schema); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) prepare(path string, schema Schema) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(metaBucket)
		if err != nil {
			return err
		}
		v := schema.Version
		if raw := meta.Get(versionKey); raw != nil {
			v, err = strconv.Atoi(string(raw))
			if err != nil || v < 1 {
				return fmt.Errorf("state %s: unreadable schema version %q", path, raw)
			}
		} else if tx.Bucket([]byte(firstOr(schema.Buckets))) != nil {
			return fmt.Errorf("state %s: records without a schema version", path)
		}
		if v > schema.Version {
			return fmt.Errorf("state %s has schema version %d; this ec2emu reads up to %d: %w (use that version, or another state directory)",
				path, v, schema.Version, ErrNewer)
		}
		for ; v < schema.Version; v++ {
			m := migration(schema.Migrations, v)
			if m == nil {
				return fmt.Errorf("state %s: no migration from schema version %d", path, v)
			}
			if err := m.Run(tx); err != nil {
				return fmt.Errorf("state %s: migrating from schema version %d: %w", path, v, err)
			}
		}
		for _, b := range schema.Buckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return meta.Put(versionKey, []byte(strconv.Itoa(schema.Version)))
	})
}

func firstOr(s []string) string {
	if len(s) == 0 {
		return "\x00"
	}
	return s[0]
}

func migration(ms []Migration, from int) *Migration {
	for i := range ms {
		if ms[i].From == from {
			return &ms[i]
		}
	}
	return nil
}

// Op is one write: Value nil deletes Key.
type Op struct {
	Bucket string
	Key    []byte
	Value  []byte
}

// Apply writes ops in one transaction and syncs it to disk.
func (d *DB) Apply(ops []Op) error {
	if len(ops) == 0 {
		return nil
	}
	return d.db.Update(func(tx *bolt.Tx) error {
		var b *bolt.Bucket
		var name string
		for _, op := range ops {
			if b == nil || op.Bucket != name {
				name = op.Bucket
				if b = tx.Bucket([]byte(name)); b == nil {
					return fmt.Errorf("state: no bucket %q", name)
				}
			}
			var err error
			if op.Value == nil {
				err = b.Delete(op.Key)
			} else {
				err = b.Put(op.Key, op.Value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// ForEach calls fn with every record of bucket in key order. The slices are
// valid only during the call.
func (d *DB) ForEach(bucket string, fn func(k, v []byte) error) error {
	return d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return fmt.Errorf("state: no bucket %q", bucket)
		}
		return b.ForEach(fn)
	})
}

// Get returns a copy of one record, nil when there is none.
func (d *DB) Get(bucket string, key []byte) ([]byte, error) {
	var out []byte
	err := d.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return fmt.Errorf("state: no bucket %q", bucket)
		}
		out = bytes.Clone(b.Get(key))
		return nil
	})
	return out, err
}

// Version returns the database's schema version.
func (d *DB) Version() (int, error) {
	raw, err := d.Get(string(metaBucket), versionKey)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(raw))
}

// Path is the database file.
func (d *DB) Path() string { return d.db.Path() }

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }
