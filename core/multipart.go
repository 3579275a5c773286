package covet

import (
	"errors"
	"io"
	"mime/multipart"
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
	MaxBodySize   int64  // the whole body (default 32 MiB)
	MaxFileSize   int64  // each file (default MaxBodySize)
	MaxParts      int    // parts, files and fields (default 128)
	MaxHeaderSize int    // each part's header block (default 16 KiB)
	MaxFieldSize  int64  // each non-file field's value (default 1 MiB)
	MaxMemory     int64  // a file's part kept in memory; the rest is spooled to a temporary file (default 1 MiB)
	TempDir       string // where files are spooled (default os.TempDir())
}

// File is an uploaded file bound to a typed input field of type *File or
// []*File (tagged form:"name"). Small files live in memory; large ones in a
// temporary file that is removed when the request ends: open it (or copy
// it elsewhere) inside the handler.
type File struct {
	// Filename is the client's name reduced to a safe base name (no
	// directories, no control or bidi characters), maybe empty. Never use it
	// as a path without your own checks.
	Filename    string
	ContentType string               // the part's declared Content-Type (not sniffed)
	Size        int64                // in bytes
	Header      textproto.MIMEHeader // the part's MIME header

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
	Name     string               // the form field's name
	Filename string               // the sanitized file name; "" for a plain field
	Header   textproto.MIMEHeader // the part's MIME header
	r        io.Reader
	readErr  *error // the last error reading the body gave (not io.EOF): tells a multipart error from the handler's own
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
	return MultipartLimits(upload.Limits(l).WithDefaults())
}

// Multipart streams a multipart/form-data body part by part to fn within
// the route's MultipartLimits, to send uploads straight to their
// destination without spooling. fn reads the part before returning (or it
// is skipped). An error from fn stops the iteration and is returned as it
// is (a database failure stays a 500, a *covet.Error keeps its status),
// unless it is (or wraps) the error reading the part gave: a malformed
// body or a limit, which Multipart answers with 400 or 413.
func (c *Context) Multipart(fn func(p *Part) error) error {
	r, lim := c.Request(), c.multipartLimits()
	boundary, refused := binding.MultipartBoundary(r, lim.MaxBodySize)
	if refused != nil {
		return bindError(refused)
	}
	var readErr, own error
	err := upload.Each(r.Body, boundary, upload.Limits(lim), func(p *multipart.Part, content io.Reader, isFile bool) error {
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
// temporary file removed at the request's end.
func (c *Context) spool(p *Part, lim MultipartLimits) (*File, error) {
	f := &File{Filename: p.Filename, ContentType: p.Header.Get("Content-Type"), Header: p.Header}
	var err error
	f.mem, f.path, f.Size, err = upload.Spool(p, lim.MaxMemory, lim.TempDir, func(name string) {
		c.cleanups = append(c.cleanups, func() { _ = os.Remove(name) })
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
