// Package tlog_go checks Xinyi's transparency log with Go's reference implementation
// (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog): checkpoints signed by the
// Python library open with note.Open, its inclusion and consistency proofs pass tlog.CheckRecord
// and tlog.CheckTree, and witness cosignatures verify as C2SP cosignature/v1 with crypto/ed25519.
//
// The fixture is written by tests/unit/test_tlog_go_conformance.py; its path comes from
// XINYI_TLOG_FIXTURE (the test is skipped without it).
package tlog_go

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type fixture struct {
	LogKey      string        `json:"log_key"`
	Checkpoints []string      `json:"checkpoints"`
	Inclusion   []inclusion   `json:"inclusion"`
	Consistency []consistency `json:"consistency"`
	WitnessKey  string        `json:"witness_key"`
}

type inclusion struct {
	CheckpointIndex int      `json:"checkpoint_index"`
	LeafDataB64     string   `json:"leaf_data_b64"`
	LeafIndex       int64    `json:"leaf_index"`
	Proof           []string `json:"proof"`
}

type consistency struct {
	Old   int      `json:"old"`
	New   int      `json:"new"`
	Proof []string `json:"proof"`
}

// checkpoint is the body of a C2SP tlog-checkpoint, parsed here rather than by the library under test.
type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func loadFixture(t *testing.T) fixture {
	t.Helper()
	path := os.Getenv("XINYI_TLOG_FIXTURE")
	if path == "" {
		t.Skip("XINYI_TLOG_FIXTURE is not set; tests/unit/test_tlog_go_conformance.py writes the fixture and sets it")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f fixture
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(f.Checkpoints) == 0 || len(f.Inclusion) == 0 || len(f.Consistency) == 0 {
		t.Fatalf("%s: the fixture needs checkpoints, inclusion and consistency cases", path)
	}
	return f
}

func parseCheckpoint(text string) (checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return checkpoint{}, fmt.Errorf("checkpoint text does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) < 3 || lines[0] == "" {
		return checkpoint{}, fmt.Errorf("checkpoint needs origin, size and root hash lines: %q", text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		return checkpoint{}, fmt.Errorf("bad root hash %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], root)
	return checkpoint{origin: lines[0], size: size, root: h}, nil
}

// openCheckpoints opens every checkpoint note with the log's verifier key, as any Go client would.
func openCheckpoints(t *testing.T, f fixture) ([]checkpoint, []*note.Note) {
	t.Helper()
	verifier, err := note.NewVerifier(f.LogKey)
	if err != nil {
		t.Fatalf("note.NewVerifier(%q): %v", f.LogKey, err)
	}
	var checkpoints []checkpoint
	var notes []*note.Note
	for i, msg := range f.Checkpoints {
		n, err := note.Open([]byte(msg), note.VerifierList(verifier))
		if err != nil {
			t.Fatalf("checkpoint %d: note.Open: %v\n%s", i, err, msg)
		}
		if len(n.Sigs) != 1 || n.Sigs[0].Name != verifier.Name() || n.Sigs[0].Hash != verifier.KeyHash() {
			t.Fatalf("checkpoint %d: expected one verified signature by %s, got %+v", i, verifier.Name(), n.Sigs)
		}
		cp, err := parseCheckpoint(n.Text)
		if err != nil {
			t.Fatalf("checkpoint %d: %v", i, err)
		}
		if cp.origin != verifier.Name() {
			t.Fatalf("checkpoint %d: origin %q is not the log key name %q", i, cp.origin, verifier.Name())
		}
		checkpoints = append(checkpoints, cp)
		notes = append(notes, n)
	}
	return checkpoints, notes
}

func decodeHashes(t *testing.T, items []string) []tlog.Hash {
	t.Helper()
	hashes := make([]tlog.Hash, len(items))
	for i, item := range items {
		h, err := tlog.ParseHash(item)
		if err != nil {
			t.Fatalf("proof element %d: %v", i, err)
		}
		hashes[i] = h
	}
	return hashes
}

func flipped(proof []tlog.Hash) []tlog.Hash {
	out := append([]tlog.Hash(nil), proof...)
	out[len(out)/2][7] ^= 0x01
	return out
}

func TestCheckpointsOpenWithGoNote(t *testing.T) {
	f := loadFixture(t)
	checkpoints, _ := openCheckpoints(t, f)
	for i := 1; i < len(checkpoints); i++ {
		if checkpoints[i].origin != checkpoints[0].origin {
			t.Fatalf("checkpoints of two logs: %q and %q", checkpoints[0].origin, checkpoints[i].origin)
		}
	}
	// An altered checkpoint must not open.
	msg := f.Checkpoints[0]
	lines := strings.SplitN(msg, "\n", 3)
	size, _ := strconv.ParseInt(lines[1], 10, 64)
	forged := lines[0] + "\n" + strconv.FormatInt(size+1, 10) + "\n" + lines[2]
	verifier, _ := note.NewVerifier(f.LogKey)
	if _, err := note.Open([]byte(forged), note.VerifierList(verifier)); err == nil {
		t.Fatal("a checkpoint with an altered size opened")
	}
}

func TestInclusionProofsPassCheckRecord(t *testing.T) {
	f := loadFixture(t)
	checkpoints, _ := openCheckpoints(t, f)
	for i, c := range f.Inclusion {
		cp := checkpoints[c.CheckpointIndex]
		data, err := base64.StdEncoding.DecodeString(c.LeafDataB64)
		if err != nil {
			t.Fatalf("inclusion %d: leaf data: %v", i, err)
		}
		leaf := tlog.RecordHash(data)
		proof := tlog.RecordProof(decodeHashes(t, c.Proof))
		if err := tlog.CheckRecord(proof, cp.size, cp.root, c.LeafIndex, leaf); err != nil {
			t.Errorf("inclusion %d (leaf %d, size %d): %v", i, c.LeafIndex, cp.size, err)
		}
		if len(proof) > 0 {
			if err := tlog.CheckRecord(tlog.RecordProof(flipped(proof)), cp.size, cp.root, c.LeafIndex, leaf); err == nil {
				t.Errorf("inclusion %d: a proof with a flipped byte passed", i)
			}
		}
		altered := tlog.RecordHash(append(bytes.Clone(data), ' '))
		if err := tlog.CheckRecord(proof, cp.size, cp.root, c.LeafIndex, altered); err == nil {
			t.Errorf("inclusion %d: an altered entry passed", i)
		}
	}
}

func TestConsistencyProofsPassCheckTree(t *testing.T) {
	f := loadFixture(t)
	checkpoints, _ := openCheckpoints(t, f)
	for i, c := range f.Consistency {
		old, cur := checkpoints[c.Old], checkpoints[c.New]
		proof := tlog.TreeProof(decodeHashes(t, c.Proof))
		if err := tlog.CheckTree(proof, cur.size, cur.root, old.size, old.root); err != nil {
			t.Errorf("consistency %d (%d → %d): %v", i, old.size, cur.size, err)
		}
		if len(proof) > 0 {
			if err := tlog.CheckTree(tlog.TreeProof(flipped(proof)), cur.size, cur.root, old.size, old.root); err == nil {
				t.Errorf("consistency %d: a proof with a flipped byte passed", i)
			}
		}
	}
}

// witnessKey parses a cosignature/v1 verifier key: <name>+<hex key id>+base64(0x04 || Ed25519 public key).
func witnessKey(t *testing.T, vkey string) (string, uint32, ed25519.PublicKey) {
	t.Helper()
	name, rest, _ := strings.Cut(vkey, "+")
	id16, key64, _ := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(key64)
	if err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != 0x04 {
		t.Fatalf("witness key %q is not a cosignature/v1 key", vkey)
	}
	id, err := hex.DecodeString(id16)
	if err != nil || len(id) != 4 {
		t.Fatalf("witness key %q: bad key id", vkey)
	}
	sum := sha256.Sum256(append([]byte(name+"\n"), raw...))
	if !bytes.Equal(sum[:4], id) {
		t.Fatalf("witness key %q: key id is not SHA-256(name || \\n || 0x04 || key)[:4]", vkey)
	}
	return name, binary.BigEndian.Uint32(id), ed25519.PublicKey(raw[1:])
}

func TestWitnessCosignatures(t *testing.T) {
	f := loadFixture(t)
	if f.WitnessKey == "" {
		t.Skip("the fixture has no witness key")
	}
	name, id, public := witnessKey(t, f.WitnessKey)
	_, notes := openCheckpoints(t, f)
	found := 0
	for i, n := range notes {
		for _, sig := range n.UnverifiedSigs { // unknown to note.Open: cosignatures are checked here
			if sig.Name != name || sig.Hash != id {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(sig.Base64)
			if err != nil || len(raw) != 4+8+ed25519.SignatureSize {
				t.Fatalf("checkpoint %d: cosignature is not key id || timestamp || signature", i)
			}
			timestamp := binary.BigEndian.Uint64(raw[4:12])
			message := fmt.Sprintf("cosignature/v1\ntime %d\n%s", timestamp, n.Text)
			if !ed25519.Verify(public, []byte(message), raw[12:]) {
				t.Errorf("checkpoint %d: the cosignature by %s does not verify", i, name)
			}
			forged := fmt.Sprintf("cosignature/v1\ntime %d\n%s", timestamp+1, n.Text)
			if ed25519.Verify(public, []byte(forged), raw[12:]) {
				t.Errorf("checkpoint %d: the cosignature verifies with another timestamp", i)
			}
			found++
		}
	}
	if found == 0 {
		t.Fatalf("no checkpoint carries a cosignature by %s+%08x", name, id)
	}
}
