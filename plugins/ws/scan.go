package ws

// The plugin's check of client frame headers (RFC 6455 §5), run on every
// byte read before nbio's parser sees it. nbio accepts unmasked client
// frames, answers an oversized control frame with 1009 and drops the TCP
// connection on a continuation with no message started; RFC 6455 wants a
// close with 1002 for each. The scanner reads only headers (payloads are
// skipped by count), keeps its state in 8 bytes of Conn (no allocation,
// no per-connection buffer) and tells parse where to stop.

const (
	scanInMsg    = 1 << iota // a fragmented data message is open
	scanMsgBytes             // the open message has payload bytes
	scanBinary               // the open message is binary
	scanFailed               // a violation was found: ignore further input
)

// scanEvent is what scanFrames stopped for.
type scanEvent uint8

const (
	scanNone          scanEvent = iota // all bytes are fine
	scanProtocolError                  // the frame after the bytes returned breaks RFC 6455 (1002)
	scanTooBig                         // a frame of 2 GiB or more (1009)
	scanEmptyText                      // the bytes returned end an empty text message
	scanEmptyBinary                    // the bytes returned end an empty binary message
)

// maxFrame is the largest frame the scanner follows (2 GiB - 1; a larger
// one is closed with 1009). Conn.scanHdr is 0 at a frame's first byte (or
// in its payload while scanLeft > 0), 1 at its second, 2+k with k bytes of
// extended length still to read.
const maxFrame = 1<<31 - 1

// scanFrames checks the frame headers in data. It returns how many bytes
// nbio may parse and why it stopped there: at a violation, the bytes
// before the bad frame (of the bad frame's bytes that came in earlier
// reads, nbio has only buffered a partial frame); at the end of an empty
// message, the bytes through it; else all of data.
func (c *Conn) scanFrames(data []byte) (int, scanEvent) {
	i := 0
	frameStart := 0
	for i < len(data) {
		if c.scanHdr == 0 && c.scanLeft > 0 {
			// Inside a payload (or the mask key): skip it.
			n := uint32(min(len(data)-i, maxFrame))
			n = min(n, c.scanLeft)
			c.scanLeft -= n
			i += int(n)
			if c.scanLeft == 0 {
				if ev := c.frameDone(); ev != scanNone {
					return i, ev
				}
			}
			continue
		}
		b := data[i]
		switch c.scanHdr {
		case 0:
			frameStart = i
			c.scanB0 = b
			if !c.firstByteOK(b) {
				return frameStart, scanProtocolError
			}
			c.scanHdr = 1
		case 1:
			if b&0x80 == 0 {
				return frameStart, scanProtocolError // unmasked (§5.1)
			}
			n := b & 0x7f
			if c.scanB0&0x08 != 0 && n > 125 {
				return frameStart, scanProtocolError // control frame > 125 bytes (§5.5)
			}
			c.scanLeft = 0
			switch n {
			case 126:
				c.scanHdr = 2 + 2
			case 127:
				c.scanHdr = 2 + 8
			default:
				c.lengthDone(uint32(n))
			}
		default:
			// Extended length, big-endian.
			if c.scanLeft > maxFrame>>8 {
				return frameStart, scanTooBig
			}
			c.scanLeft = c.scanLeft<<8 | uint32(b)
			c.scanHdr--
			if c.scanHdr == 2 {
				if c.scanLeft > maxFrame-4 {
					return frameStart, scanTooBig
				}
				c.lengthDone(c.scanLeft)
			}
		}
		i++
	}
	return i, scanNone
}

// lengthDone ends a header: n payload bytes and the 4-byte mask key follow.
func (c *Conn) lengthDone(n uint32) {
	c.scanHdr = 0
	c.scanLeft = n + 4
	if n > 0 && c.scanB0&0x08 == 0 {
		c.scanFlags |= scanMsgBytes
	}
}

// firstByteOK checks a frame's first byte against the frames before it.
func (c *Conn) firstByteOK(b byte) bool {
	fin, op := b&0x80 != 0, b&0x0f
	if b&0x30 != 0 {
		return false // RSV2, RSV3: no extension defines them
	}
	if b&0x40 != 0 && !(c.deflate && (op == 1 || op == 2)) {
		return false // RSV1 only on a message's first frame, with permessage-deflate (RFC 7692 §6)
	}
	switch {
	case op >= 8:
		return op <= 10 && fin // control frames: close, ping, pong, never fragmented
	case op == 0:
		return c.scanFlags&scanInMsg != 0 // a continuation needs a message
	case op <= 2:
		if c.scanFlags&scanInMsg != 0 {
			return false // a new message inside a fragmented one
		}
		c.scanFlags &^= scanMsgBytes | scanBinary
		if op == 2 {
			c.scanFlags |= scanBinary
		}
		c.scanFlags |= scanInMsg
		return true
	}
	return false // opcodes 3-7
}

// frameDone ends a frame: a data frame with FIN ends its message, and an
// empty message is reported (nbio does not deliver it).
func (c *Conn) frameDone() scanEvent {
	b0 := c.scanB0
	if b0&0x08 != 0 || b0&0x80 == 0 {
		return scanNone // a control frame, or a data frame without FIN
	}
	f := c.scanFlags
	c.scanFlags &^= scanInMsg | scanMsgBytes | scanBinary
	switch {
	case f&scanMsgBytes != 0:
		return scanNone
	case f&scanBinary != 0:
		return scanEmptyBinary
	}
	return scanEmptyText
}
