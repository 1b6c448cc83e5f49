package hls

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"fmt"
	"regexp"
)

// KeySize is the size of an AES-128 content key, in bytes.
const KeySize = 16

// EncryptSegment encrypts one media segment whole, as METHOD=AES-128 asks:
// AES-128-CBC with PKCS#7 padding. The IV is the segment's media sequence
// number as a 128-bit big-endian integer, the value players use when the
// EXT-X-KEY tag names no IV, so one tag serves every segment.
func EncryptSegment(key []byte, sequence int64, plain []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("AES-128 key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	out := make([]byte, len(plain)+pad)
	copy(out, plain)
	for i := len(plain); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, SequenceIV(sequence)).CryptBlocks(out, out)
	return out, nil
}

// DecryptSegment reverses EncryptSegment, as a player does.
func DecryptSegment(key []byte, sequence int64, data []byte) ([]byte, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if len(data) == 0 || len(data)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("encrypted segment of %d bytes is not whole blocks", len(data))
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(block, SequenceIV(sequence)).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(out) || !bytes.Equal(out[len(out)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, fmt.Errorf("bad padding: wrong key or IV")
	}
	return out[:len(out)-pad], nil
}

// SequenceIV is the IV of the segment with media sequence number seq.
func SequenceIV(seq int64) []byte {
	iv := make([]byte, aes.BlockSize)
	binary.BigEndian.PutUint64(iv[8:], uint64(seq))
	return iv
}

// keyAfter matches the line a key tag goes after: the EXT-X-MAP, so the
// initialization section stays in the clear (the tag applies only to what
// follows it), or else the header before the first segment.
var (
	mapTag    = regexp.MustCompile(`(?m)^#EXT-X-MAP:[^\n]*\n`)
	firstInf  = regexp.MustCompile(`(?m)^#EXTINF:`)
	keyTagged = regexp.MustCompile(`(?m)^#EXT-X-KEY:`)
)

// AddKey returns a media playlist with an EXT-X-KEY tag for METHOD=AES-128
// and the key at uri, placed after its EXT-X-MAP. A playlist that already
// has a key tag, or has no segment yet, is returned as it is.
func AddKey(playlist []byte, uri string) []byte {
	if keyTagged.Match(playlist) {
		return playlist
	}
	tag := []byte(`#EXT-X-KEY:METHOD=AES-128,URI="` + uri + "\"\n")
	if loc := mapTag.FindIndex(playlist); loc != nil {
		return concat(playlist[:loc[1]], tag, playlist[loc[1]:])
	}
	if loc := firstInf.FindIndex(playlist); loc != nil {
		return concat(playlist[:loc[0]], tag, playlist[loc[0]:])
	}
	return playlist
}

var iframeLine = regexp.MustCompile(`(?m)^#EXT-X-I-FRAME-STREAM-INF:[^\n]*\n`)

// StripIFrames removes the I-frame variants from a master playlist. An
// encrypted rendition has none: AES-128 encrypts whole segments in CBC
// mode, so the byte range of one key frame cannot be decrypted alone.
func StripIFrames(master []byte) []byte {
	return iframeLine.ReplaceAll(master, nil)
}

func concat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}
