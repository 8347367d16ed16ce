#!/usr/bin/env node
// A private git host for the end-to-end suite, on loopback: Debian's `git http-backend` (smart
// HTTP, as GitHub serves it) run as CGI behind this small HTTPS server, which demands HTTP Basic
// credentials (`x-access-token` and the token, as GitHub takes an installation token) for every
// git request, so a clone or `go mod download` without the token fails with git's own error.
// `?go-get=1` (Go's module discovery, a plain HTTPS GET) is answered without credentials, with the
// go-import meta tag naming the repository, as GitLab and Gitea answer it.
//
//   node git-server.mjs --listen 127.0.0.1:443 --root DIR --cert CRT --key KEY --token TOKEN --log FILE
//
// Prints one line when it listens. Repositories are bare repos under --root (`vmafx/private.git`).
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as https from 'node:https'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const [host, port] = arg('listen', '127.0.0.1:443').split(':')
const root = arg('root')
const token = arg('token')
const logFile = arg('log', '/dev/null')
if (!root || !token) throw new Error('--root and --token are required')
const expected = `Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`
const log = (entry) => fs.appendFileSync(logFile, JSON.stringify({ t: Date.now(), ...entry }) + '\n')

function handler(req, res) {
  const url = new URL(req.url ?? '/', `https://${req.headers.host}`)
  if (url.searchParams.get('go-get') === '1') {
    const module = `${req.headers.host?.replace(/:443$/, '')}${url.pathname.replace(/\/$/, '')}`
    log({ method: req.method, path: url.pathname, query: url.search, goGet: true })
    res.writeHead(200, { 'content-type': 'text/html' })
    res.end(`<html><head><meta name="go-import" content="${module} git https://${module}"></head></html>\n`)
    return
  }
  const authorized = req.headers.authorization === expected
  log({ method: req.method, path: url.pathname, query: url.search, authorized, authorization: req.headers.authorization ? 'given' : 'none' })
  if (!authorized) {
    res.writeHead(401, { 'www-authenticate': 'Basic realm="private git"', 'content-type': 'text/plain' })
    res.end('authentication required\n')
    return
  }
  // CGI/1.1 (RFC 3875) as git-http-backend(1) documents it.
  const cgi = spawn('git', ['http-backend'], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.replace(/^\?/, ''),
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      CONTENT_LENGTH: req.headers['content-length'] ?? '',
      HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
      GIT_PROTOCOL: req.headers['git-protocol'] ?? '',
      REMOTE_USER: 'x-access-token',
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      SERVER_PROTOCOL: 'HTTP/1.1'
    },
    stdio: ['pipe', 'pipe', 'inherit']
  })
  req.pipe(cgi.stdin)
  let head = Buffer.alloc(0)
  let headersDone = false
  cgi.stdout.on('data', (chunk) => {
    if (headersDone) return void res.write(chunk)
    head = Buffer.concat([head, chunk])
    const end = head.indexOf('\r\n\r\n')
    if (end < 0) return
    headersDone = true
    let status = 200
    for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':')
      const name = line.slice(0, colon).trim()
      const value = line.slice(colon + 1).trim()
      if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0])
      else res.setHeader(name, value)
    }
    res.writeHead(status)
    res.write(head.subarray(end + 4))
  })
  cgi.on('close', () => res.end())
}

const server = https.createServer({ cert: fs.readFileSync(arg('cert')), key: fs.readFileSync(arg('key')) }, handler)
server.listen(Number(port), host, () => process.stdout.write(`git server on https://${host}:${port} serving ${root}\n`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
