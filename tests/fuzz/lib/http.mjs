// A raw HTTP/1.1 client over node:net, so the fuzzer can send what higher-level clients refuse to:
// NUL and non-ASCII bytes in header values and paths, invalid UTF-8 in bodies, repeated headers, no Content-Type.
// One connection per request (Connection: close): slower than keep-alive, but a request the server rejects at the
// connection level can never poison the next one.
import net from 'node:net';

/**
 * @param {{host: string, port: number}} target
 * @param {{method: string, path: string|Buffer, headers: Array<[string, string|Buffer]>, body?: Buffer|null}} req
 * @param {number} timeoutMs
 * @returns {Promise<{status: number, headers: Record<string,string>, body: Buffer, ms: number, error?: string}>}
 */
export function send(target, req, timeoutMs) {
  const started = process.hrtime.bigint();
  const head = [];
  head.push(Buffer.from(`${req.method} `, 'latin1'));
  head.push(Buffer.isBuffer(req.path) ? req.path : Buffer.from(req.path, 'latin1'));
  head.push(Buffer.from(` HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nConnection: close\r\n`, 'latin1'));
  const body = req.body ?? null;
  let hasLength = false;
  for (const [name, value] of req.headers) {
    if (name.toLowerCase() === 'content-length') hasLength = true;
    head.push(Buffer.from(`${name}: `, 'latin1'));
    head.push(Buffer.isBuffer(value) ? value : Buffer.from(value, 'utf8'));
    head.push(Buffer.from('\r\n', 'latin1'));
  }
  if (!hasLength && (body !== null || !['GET', 'HEAD'].includes(req.method))) {
    head.push(Buffer.from(`Content-Length: ${body ? body.length : 0}\r\n`, 'latin1'));
  }
  head.push(Buffer.from('\r\n', 'latin1'));
  const bytes = body ? Buffer.concat([...head, body]) : Buffer.concat(head);

  return new Promise((resolve) => {
    const chunks = [];
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const raw = Buffer.concat(chunks);
      const parsed = parseResponse(raw);
      if (!parsed) {
        resolve({ status: 0, headers: {}, body: raw, ms, error: error ?? (raw.length ? 'unparseable response' : 'connection closed without a response') });
        return;
      }
      resolve({ status: parsed.status, headers: parsed.headers, body: parsed.body, ms, error: parsed.complete || (parsed.noLength && !error) ? undefined : (error ?? 'truncated response') });
    };
    const socket = net.connect({ host: target.host, port: target.port });
    const timer = setTimeout(() => finish(`timeout after ${timeoutMs} ms`), timeoutMs);
    // A large body goes after a pause, so a response the server sends on the headers alone (413) is read before the
    // server closes the connection and the rest of the write fails.
    const headLength = bytes.length - (body ? body.length : 0);
    socket.on('connect', () => {
      if (!body || body.length < 256 * 1024) { socket.write(bytes); return; }
      socket.write(bytes.subarray(0, headLength));
      setTimeout(() => { if (!done) socket.write(bytes.subarray(headLength)); }, 300);
    });
    socket.on('data', (d) => {
      chunks.push(d);
      // Stop as soon as a complete response is in (the server may keep the socket half open).
      const parsed = parseResponse(Buffer.concat(chunks));
      if (parsed && parsed.complete) finish();
    });
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (e) => finish((e.code === 'ECONNRESET' || e.code === 'EPIPE') && chunks.length ? undefined : String(e.code ?? e.message)));
  });
}

function parseResponse(raw) {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) return null;
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      headers[k] = headers[k] !== undefined ? `${headers[k]}, ${line.slice(i + 1).trim()}` : line.slice(i + 1).trim();
    }
  }
  const status = Number(m[1]);
  let rest = raw.subarray(end + 4);
  if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
    const out = [];
    let pos = 0;
    for (;;) {
      const eol = rest.indexOf('\r\n', pos);
      if (eol < 0) return { status, headers, body: Buffer.concat(out), complete: false };
      const size = parseInt(rest.subarray(pos, eol).toString('latin1'), 16);
      if (Number.isNaN(size)) return { status, headers, body: Buffer.concat(out), complete: false };
      if (size === 0) return { status, headers, body: Buffer.concat(out), complete: true };
      if (eol + 2 + size > rest.length) return { status, headers, body: Buffer.concat(out), complete: false };
      out.push(rest.subarray(eol + 2, eol + 2 + size));
      pos = eol + 2 + size + 2;
    }
  }
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    return { status, headers, body: rest.subarray(0, n), complete: rest.length >= n };
  }
  if (status === 204 || status === 304 || status < 200) return { status, headers, body: Buffer.alloc(0), complete: true };
  // Neither length nor chunked: the body runs to the end of the connection.
  return { status, headers, body: rest, complete: false, noLength: true };
}
