#!/usr/bin/env node
// Fault-injecting proxy for the end-to-end suite, on loopback, in front of the registry (TLS, with
// the registry's own certificate, so clients see the same host name) or the release mirror (HTTP).
// Faults are deterministic, so the suite is repeatable:
//   --fault 503:N         every Nth request is answered 503; a request that just failed goes
//                         through when repeated (transient: a retry succeeds)
//   --fault reset:N       likewise, but the connection is reset
//   --fault stall:N:MS    likewise, but the answer is held back MS milliseconds
//   --fault fail-writes   every PUT/POST/PATCH is answered 503 (a persistent push failure)
//   --fault outage:MS     every request is answered 503 for MS milliseconds from the first one
//                         (a short registry outage: longer than the tools' own quick retries)
//   --fault corrupt-once:REGEX  the first response for each path matching REGEX has one byte changed
// Every request is logged as one JSON line to --log, with what was done to it.
import * as fs from 'node:fs'
import * as http from 'node:http'
import * as https from 'node:https'

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? process.argv[i + 1] : fallback
}
const listen = arg('listen', '127.0.0.1:5444')
const target = new URL(arg('target', 'https://registry.bdi.test:5443'))
const fault = arg('fault', 'none')
const logFile = arg('log', '/dev/null')
const [kind, a, b] = fault.split(':')
const every = Number(a) || 0
const lastFailed = new Set()
let count = 0
let outageStart = 0

const log = (entry) => fs.appendFileSync(logFile, JSON.stringify({ t: Date.now(), ...entry }) + '\n')

function decide(req) {
  const key = `${req.method} ${req.url}`
  if (kind === 'fail-writes') return ['PUT', 'POST', 'PATCH'].includes(req.method) ? '503' : 'pass'
  if (kind === 'outage') {
    outageStart ||= Date.now()
    return Date.now() - outageStart < every ? '503' : 'pass'
  }
  if (kind === '503' || kind === 'reset' || kind === 'stall') {
    count++
    if (lastFailed.has(key)) {
      lastFailed.delete(key)
      return 'pass'
    }
    if (every > 0 && count % every === 0) {
      lastFailed.add(key)
      return kind
    }
  }
  return 'pass'
}

const corruptPattern = kind === 'corrupt-once' ? new RegExp(fault.slice('corrupt-once:'.length)) : undefined
const corrupted = new Set()

function handler(req, res) {
  const action = decide(req)
  log({ method: req.method, path: req.url, action })
  if (action === '503') {
    req.resume()
    res.writeHead(503, { 'content-type': 'application/json' })
    res.end('{"errors":[{"code":"UNAVAILABLE","message":"service unavailable (fault proxy)"}]}')
    return
  }
  if (action === 'reset') {
    req.socket.destroy()
    return
  }
  const forward = () => {
    const client = target.protocol === 'https:' ? https : http
    const up = client.request(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host }, servername: target.hostname },
      (upRes) => {
        const headers = { ...upRes.headers }
        // Redirects and auth challenges name the registry: keep clients on the proxy.
        for (const h of ['location', 'www-authenticate']) {
          if (typeof headers[h] === 'string') headers[h] = headers[h].replaceAll(target.host, req.headers.host)
        }
        if (corruptPattern?.test(req.url) && !corrupted.has(req.url) && upRes.statusCode === 200) {
          corrupted.add(req.url)
          const chunks = []
          upRes.on('data', (c) => chunks.push(c))
          upRes.on('end', () => {
            const body = Buffer.concat(chunks)
            if (body.length > 1000) body[1000] ^= 0xff
            log({ method: req.method, path: req.url, action: 'corrupted' })
            res.writeHead(upRes.statusCode, headers)
            res.end(body)
          })
          return
        }
        res.writeHead(upRes.statusCode ?? 502, headers)
        upRes.pipe(res)
      }
    )
    up.on('error', (err) => {
      log({ method: req.method, path: req.url, action: 'upstream-error', error: String(err) })
      res.destroy()
    })
    req.pipe(up)
  }
  if (action === 'stall') setTimeout(forward, Number(b) || 30000)
  else forward()
}

const [host, port] = listen.split(':')
const server =
  target.protocol === 'https:'
    ? https.createServer({ cert: fs.readFileSync(arg('cert')), key: fs.readFileSync(arg('key')) }, handler)
    : http.createServer(handler)
server.listen(Number(port), host, () => {
  process.stdout.write(`fault proxy on ${listen} -> ${target.href} (${fault})\n`)
})
process.on('SIGTERM', () => server.close(() => process.exit(0)))
