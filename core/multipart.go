package covet

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"

	"github.com/covetgo/covet/core/internal/binding"
	"github.com/covetgo/covet/core/internal/upload"
)

// MultipartLimits bound what a multipart/form-data request may hold. Each
// limit is enforced while the body is read, so a request over a limit is
// refused (413, or 400 for a malformed or oversized part header) without
// reading it whole. Zero fields take the defaults.
type MultipartLimits struct {
	// MaxBodySize bounds the whole request body (default 32 MiB).
	MaxBodySize int64
	// MaxFileSize bounds each file (default: MaxBodySize).
	MaxFileSize int64
	// MaxParts bounds the number of parts, files and fields (default 128).
	MaxParts int
	// MaxHeaderSize bounds the header block of each part (default 16 KiB).
	MaxHeaderSize int
	// MaxFieldSize bounds each non-file field value (default 1 MiB).
	MaxFieldSize int64
	// MaxMemory is how much of a file is kept in memory; larger files are
	// spooled to a temporary file, removed when the request ends (default 1 MiB).
	MaxMemory int64
	// TempDir is where large files are spooled (default os.TempDir()).
	TempDir string
}

func (l MultipartLimits) withDefaults() MultipartLimits {
	return MultipartLimits(upload.Limits(l).WithDefaults())
}

// File is an uploaded file bound to a typed input field of type *File or
// []*File (tagged form:"name"). Small files live in memory; large ones in a
// temporary file that is removed when the request ends: open it (or copy
// it elsewhere) inside the handler.
type File struct {
	// Filename is the client's file name reduced to a safe base name (no
	// directories, no control or format characters such as bidi overrides);
	// it may be empty. Never use it as
	// a path without your own checks.
	Filename string
	// ContentType is the part's declared Content-Type (not sniffed).
	ContentType string
	// Size is the file's size in bytes.
	Size int64
	// Header is the part's MIME header.
	Header textproto.MIMEHeader

	mem  []byte
	path string
}

// Open returns the file's content. Close it when done.
func (f *File) Open() (multipart.File, error) {
	if f.path == "" {
		return upload.NewSectionFile(f.mem), nil
	}
	return os.Open(f.path)
}

// InMemory reports whether the file is held in memory (not spooled to disk).
func (f *File) InMemory() bool { return f.path == "" }

// Part is one part of a multipart body, as Context.Multipart hands it out.
// Reading it stops at the part's end or its limit (MaxFileSize for files,
// MaxFieldSize for fields) with an error the handler should return.
type Part struct {
	// Name is the form field name.
	Name string
	// Filename is the sanitized file name; empty for a plain field.
	Filename string
	// Header is the part's MIME header.
	Header textproto.MIMEHeader
	r      io.Reader
	// readErr records the last error reading the body gave (not io.EOF):
	// Multipart tells by it a multipart error from the handler's own.
	readErr *error
}

// Read reads the part's content.
func (p *Part) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err != nil && err != io.EOF && p.readErr != nil {
		*p.readErr = err
	}
	return n, err
}

// IsFile reports whether the part is a file (it has a filename parameter).
func (p *Part) IsFile() bool { return p.Header != nil && upload.HasFilename(p.Header) }

// multipartLimits returns the limits for the request's route.
func (c *Context) multipartLimits() MultipartLimits {
	l := c.app.cfg.multipart
	if c.route != nil && c.route.bind != nil && c.route.bind.multipart != nil {
		l = *c.route.bind.multipart
	}
	return l.withDefaults()
}

// Multipart streams a multipart/form-data request body part by part to fn,
// enforcing the route's MultipartLimits while reading: use it to stream
// uploads straight to their destination (storage, a hash, a pipe) without
// spooling. fn must read the part before returning, or leave it to be
// skipped; returning an error stops the iteration and is returned as it
// is (a database failure stays the handler's 500, a *covet.Error its
// status), unless it is (or wraps) the error reading the part gave: a
// malformed body or a limit, which Multipart answers (400, 413).
func (c *Context) Multipart(fn func(p *Part) error) error {
	r := c.Request()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return bindError(binding.UnsupportedMedia(mt, "multipart/form-data"))
	}
	boundary := params["boundary"]
	if boundary == "" {
		return NewError(http.StatusBadRequest, "multipart body without a boundary")
	}
	lim := c.multipartLimits()
	if r.ContentLength > lim.MaxBodySize {
		return bindError(binding.BodyTooLarge(lim.MaxBodySize))
	}
	var readErr, own error
	err = upload.Each(r.Body, boundary, upload.Limits(lim), func(p *multipart.Part, content io.Reader, isFile bool) error {
		part := &Part{Name: p.FormName(), Header: p.Header, r: content, readErr: &readErr}
		if isFile {
			part.Filename = upload.SanitizeFilename(p.FileName())
		}
		err := fn(part)
		if err != nil && (readErr == nil || !errors.Is(err, readErr)) {
			own = err
		}
		return err
	})
	if own != nil {
		return own
	}
	if err != nil {
		return multipartError(err, lim)
	}
	return nil
}

// multipartError answers a failed multipart read (core/internal/upload
// classifies it); an *Error the part callback returned passes as is.
func multipartError(err error, lim MultipartLimits) error {
	if he := (*Error)(nil); errors.As(err, &he) {
		return err
	}
	r := upload.Classify(err, upload.Limits(lim))
	if r.Detail == "" { // the body limit's 413
		return bindError(binding.BodyTooLarge(r.BodyLimit))
	}
	return &Error{Status: r.Status, Detail: r.Detail, cause: r.Cause}
}

// spool reads a file part: into memory up to MaxMemory, then into a
// temporary file removed when the request ends.
func (c *Context) spool(p *Part, lim MultipartLimits) (*File, error) {
	f := &File{Filename: p.Filename, ContentType: p.Header.Get("Content-Type"), Header: p.Header}
	var err error
	f.mem, f.path, f.Size, err = upload.Spool(p, lim.MaxMemory, lim.TempDir, func(name string) {
		c.onRelease(func() { _ = os.Remove(name) })
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// formParts serves a typed input's multipart form fields from the request.
type formParts struct{ c *Context }

// EachPart streams the parts to fn; spool keeps a file part as a *File.
func (fp formParts) EachPart(fn func(name string, file bool, body io.Reader, spool func() (any, error)) error) error {
	lim := fp.c.multipartLimits()
	return fp.c.Multipart(func(part *Part) error {
		return fn(part.Name, part.Filename != "" || part.IsFile(), part, func() (any, error) {
			return fp.c.spool(part, lim)
		})
	})
}

// onRelease registers fn to run when the request ends, after the handler
// chain returned (temporary files are removed this way).
func (c *Context) onRelease(fn func()) {
	c.cleanups = append(c.cleanups, fn)
}
