// Package upload holds the mechanics of Covet's streaming multipart reader:
// readers that enforce the body, header, file and field limits while the
// body is read, file-name sanitizing, and spooling a file part to memory or
// to a temporary file, and the status and detail each failure is answered
// with (Classify). Context.Multipart and typed form binding (package covet)
// are built on it; it does not import covet.
package upload

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/textproto"
	"os"
	"path"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

var (
	// ErrHeader is a part header over its budget (MaxHeaderSize).
	ErrHeader = errors.New("covet: multipart part header too large")
	// ErrBodyLimit is a body over MaxBodySize.
	ErrBodyLimit = errors.New("covet: body limit reached")
)

// TooLarge is a file or field over its limit (413).
type TooLarge struct {
	Name string
	File bool
	Max  int64
}

func (e *TooLarge) Error() string {
	what := "field"
	if e.File {
		what = "file"
	}
	return what + " " + strconv.Quote(e.Name) + " is larger than the limit of " + strconv.FormatInt(e.Max, 10) + " bytes"
}

// SanitizeFilename keeps the last element of a client-supplied file name
// (either slash), without control characters or format characters (Unicode
// category Cf: bidi overrides and isolates such as U+202E and U+2066–2069,
// the marks U+200E/F, zero-width characters), which let a name display
// otherwise than it reads ("invoice\u202efdp.exe" shows as "invoiceexe.pdf"),
// and refuses "." and "..".
func SanitizeFilename(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '/' || r == '\\' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "." || name == ".." || name == "/" {
		return ""
	}
	return name
}

// HasFilename reports whether a part header declares a file (a filename
// parameter in Content-Disposition).
func HasFilename(h textproto.MIMEHeader) bool {
	_, params, err := mime.ParseMediaType(h.Get("Content-Disposition"))
	if err != nil {
		return false
	}
	_, ok := params["filename"]
	return ok
}

// CountingBody enforces the total limit and the header budget while the
// multipart reader reads from it.
type CountingBody struct {
	R         io.Reader
	N, Limit  int64
	HeaderMax int64 // > 0 while reading a part header
	HeaderN   int64
}

// Read reads from R within the limits.
func (b *CountingBody) Read(p []byte) (int, error) {
	if b.N >= b.Limit {
		// Let one more byte through to tell "exactly at the limit" from "over".
		var one [1]byte
		n, err := b.R.Read(one[:])
		if n > 0 {
			return 0, ErrBodyLimit
		}
		return 0, err
	}
	if int64(len(p)) > b.Limit-b.N {
		p = p[:b.Limit-b.N]
	}
	n, err := b.R.Read(p)
	b.N += int64(n)
	if b.HeaderMax > 0 {
		b.HeaderN += int64(n)
		if b.HeaderN > b.HeaderMax {
			return n, ErrHeader
		}
	}
	return n, err
}

// LimitedPart reads a part up to Max bytes, failing past it with a *TooLarge.
type LimitedPart struct {
	R    io.Reader
	N    int64
	Max  int64
	Name string
	File bool
}

// Read reads the part, failing past Max.
func (l *LimitedPart) Read(p []byte) (int, error) {
	if l.N > l.Max {
		return 0, l.err()
	}
	if int64(len(p)) > l.Max-l.N+1 {
		p = p[:l.Max-l.N+1]
	}
	n, err := l.R.Read(p)
	l.N += int64(n)
	if l.N > l.Max {
		return n - int(l.N-l.Max), l.err()
	}
	return n, err
}

func (l *LimitedPart) err() error { return &TooLarge{Name: l.Name, File: l.File, Max: l.Max} }

var copyBufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// onlyReader hides WriterTo/ReaderFrom so CopyBuffer uses the pooled buffer.
type onlyReader struct{ io.Reader }

// Spool reads r: into memory up to maxMemory bytes (mem), then into a
// temporary file in tempDir (path), which onTemp is told about at once so
// it can be removed when the request ends. size is the whole length.
func Spool(r io.Reader, maxMemory int64, tempDir string, onTemp func(path string)) (mem []byte, path string, size int64, err error) {
	bp := copyBufPool.Get().(*[]byte)
	defer copyBufPool.Put(bp)
	buf := *bp
	for first := true; ; first = false {
		n, err := io.ReadFull(r, buf[:min(int64(len(buf)), maxMemory+1-int64(len(mem)))])
		done := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !done {
			return nil, "", 0, err
		}
		if first && done {
			// Small files (the common case) get a buffer of their size.
			return append([]byte(nil), buf[:n]...), "", int64(n), nil
		}
		if mem == nil {
			mem = make([]byte, 0, maxMemory+1)
		}
		mem = append(mem, buf[:n]...)
		if done {
			return mem, "", int64(len(mem)), nil
		}
		if int64(len(mem)) > maxMemory {
			break
		}
	}
	tmp, err := os.CreateTemp(tempDir, "covet-upload-*")
	if err != nil {
		return nil, "", 0, err
	}
	name := tmp.Name()
	onTemp(name)
	if _, err := tmp.Write(mem); err != nil {
		tmp.Close()
		return nil, "", 0, err
	}
	n, err := io.CopyBuffer(tmp, onlyReader{r}, buf)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, "", 0, err
	}
	return nil, name, int64(len(mem)) + n, nil
}

// SectionFile is an in-memory file as a multipart.File.
type SectionFile struct{ *io.SectionReader }

// NewSectionFile returns b as a multipart.File.
func NewSectionFile(b []byte) SectionFile {
	return SectionFile{io.NewSectionReader(bytes.NewReader(b), 0, int64(len(b)))}
}

// Close does nothing.
func (SectionFile) Close() error { return nil }

// Limits mirrors covet.MultipartLimits field for field (a conversion
// between the two breaks the build when they differ).
type Limits struct {
	MaxBodySize   int64
	MaxFileSize   int64
	MaxParts      int
	MaxHeaderSize int
	MaxFieldSize  int64
	MaxMemory     int64
	TempDir       string
}

// WithDefaults fills the zero limits with the defaults documented on
// covet.MultipartLimits.
func (l Limits) WithDefaults() Limits {
	if l.MaxBodySize <= 0 {
		l.MaxBodySize = 32 << 20
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = l.MaxBodySize
	}
	if l.MaxParts <= 0 {
		l.MaxParts = 128
	}
	if l.MaxHeaderSize <= 0 {
		l.MaxHeaderSize = 16 << 10
	}
	if l.MaxFieldSize <= 0 {
		l.MaxFieldSize = 1 << 20
	}
	if l.MaxMemory <= 0 {
		l.MaxMemory = 1 << 20
	}
	return l
}

// ErrTooManyParts is a body with more parts than MaxParts.
var ErrTooManyParts = errors.New("covet: too many multipart parts")

// Each reads a multipart body part by part within l (with defaults
// applied), handing fn each part, the part's content limited to
// MaxFileSize or MaxFieldSize, and whether it is a file. What fn leaves
// unread is skipped, still within the limits. fn's error, or a reader's,
// stops the iteration and is returned as is; ErrBodyLimit, ErrHeader,
// *TooLarge and ErrTooManyParts report the limits.
func Each(body io.Reader, boundary string, l Limits, fn func(p *multipart.Part, content io.Reader, file bool) error) error {
	cb := &CountingBody{R: body, Limit: l.MaxBodySize}
	mr := multipart.NewReader(cb, boundary)
	for parts := 0; ; parts++ {
		cb.HeaderMax, cb.HeaderN = int64(l.MaxHeaderSize)+8192, 0
		p, err := mr.NextRawPart()
		cb.HeaderMax = 0
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if parts >= l.MaxParts {
			p.Close()
			return ErrTooManyParts
		}
		isFile := HasFilename(p.Header)
		max := l.MaxFieldSize
		if isFile {
			max = l.MaxFileSize
		}
		lp := &LimitedPart{R: p, Max: max, Name: p.FormName(), File: isFile}
		if err := fn(p, lp, isFile); err != nil {
			p.Close()
			return err
		}
		if _, err := io.Copy(io.Discard, lp); err != nil {
			p.Close()
			return err
		}
		p.Close()
	}
}
