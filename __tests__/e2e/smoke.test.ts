// The smoke run under OpenShift's restricted-v2 constraints (issue 19, part 1), on the real engine
// and registry: a template-built service passes on amd64 (native) and arm64 (QEMU), by arguments and
// by HTTP probe; the same service with a 0700 file owned by 65532 passes a plain docker run but not
// the restricted one, and nothing is signed.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { runAction } from './support/harness.js'
import { cosign, docker, e2e, keyPair, keySigning, requireEnvironment, uniqueImage, workspace } from './support/env.js'

const run = requireEnvironment()
const R = e2e.registry
const PASSWORD = 'e2e-smoke-password-31b9'
const creds = { 'registry-username': e2e.user, 'registry-password': e2e.password }

// `--version` prints and exits; otherwise it serves /healthz on 8080. Either way it first reads
// /etc/app/config when the image has one, as services read their config at startup.
const service = {
  'go.mod': 'module example.com/svc\n\ngo 1.24\n',
  'main.go': `package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"runtime"
)

func main() {
	if _, err := os.ReadFile("/etc/app/config"); err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(os.Stderr, "reading config:", err)
		os.Exit(1)
	}
	if len(os.Args) > 1 && os.Args[1] == "--version" {
		fmt.Printf("svc v2.0.0 %s/%s uid=%d gid=%d\\n", runtime.GOOS, runtime.GOARCH, os.Getuid(), os.Getgid())
		return
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	fmt.Println("listening on :8080")
	if err := http.ListenAndServe(":8080", nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`
}
const template = { dockerfile: 'static', 'build-args': `BUILDER_IMAGE=${R}/e2e/golang:1.24\nRUNTIME_IMAGE=${R}/e2e/static:nonroot`, 'allowed-bases': `${R}/e2e/*` }
const UID = /UID (1\d{5}0000), GID 0/
const tlsFile = (name: string) => fs.readFileSync(path.join(e2e.buildkitTls, name), 'utf8')
// A remote BuildKit leaves nothing on the engine, so the smoke run pulls with the action's credentials.
const remote = () => ({ 'builder-endpoint': e2e.buildkitTcp, 'builder-tls-ca': tlsFile('ca.crt'), 'builder-tls-cert': tlsFile('client.crt'), 'builder-tls-key': tlsFile('client.key') })

// A program that tries each restriction the smoke run claims from inside it (issue 30, part 7).
const probe = {
  'go.mod': 'module example.com/probe\n\ngo 1.24\n',
  'probe.go': `// Tries, from inside the container, each restriction the smoke run claims, and prints what it saw.
// Exits 3 when one did not hold, so a passing smoke run proves that every one held.
// "check" exits 0 after the checks; "serve" then serves /healthz on 8080; "whoami" prints uid and euid.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

func main() {
	mode := ""
	if len(os.Args) > 1 {
		mode = os.Args[1]
	}
	if mode == "whoami" {
		fmt.Printf("%d %d\\n", os.Getuid(), os.Geteuid())
		return
	}
	fmt.Printf("probe: uid=%d gid=%d\\n", os.Getuid(), os.Getgid())
	failed := 0
	for _, c := range []struct {
		name  string
		check func() (bool, string)
	}{{"write outside /tmp", write}, {"capabilities", capabilities}, {"network", network}, {"setuid", setuid}} {
		held, saw := c.check()
		verdict := "held"
		if !held {
			verdict = "NOT HELD"
			failed++
		}
		fmt.Printf("probe: %s: %s: %s\\n", c.name, verdict, saw)
	}
	if failed > 0 {
		fmt.Printf("probe: %d restriction(s) did not hold\\n", failed)
		os.Exit(3)
	}
	fmt.Println("probe: every restriction held")
	if mode == "serve" {
		http.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
		fmt.Println(http.ListenAndServe(":8080", nil))
		os.Exit(1)
	}
}

// /writable is mode 1777 in the image: only a read-only root keeps the probe from writing there.
func write() (bool, string) {
	if err := os.WriteFile("/tmp/probe", []byte("x"), 0o600); err != nil {
		return false, "the control write to /tmp failed too: " + err.Error()
	}
	var saw []string
	held := true
	for _, dir := range []string{"/writable", "/", "/etc"} {
		err := os.WriteFile(dir+"/probe", []byte("x"), 0o600)
		if err == nil {
			held = false
			saw = append(saw, "wrote "+dir+"/probe")
		} else {
			saw = append(saw, errors.Unwrap(err).Error()+" ("+dir+")")
		}
	}
	return held, strings.Join(saw, "; ")
}

// chown needs CAP_CHOWN; an empty bounding set means no exec can ever gain a capability.
func capabilities() (bool, string) {
	status := procStatus()
	err := os.Chown("/tmp/probe", 0, 0)
	saw := fmt.Sprintf("chown /tmp/probe 0:0: %v; CapEff=%s CapBnd=%s", errText(err), status["CapEff"], status["CapBnd"])
	zero := "0000000000000000"
	return err != nil && status["CapEff"] == zero && status["CapBnd"] == zero, saw
}

// No default route, and a dial off every network fails: 192.0.2.1 (TEST-NET-1) answering, or
// refusing, means the container has a way out. Its own network (probe mode) is not "out".
func network() (bool, string) {
	route := "none"
	if table, err := os.ReadFile("/proc/net/route"); err == nil {
		for _, line := range strings.Split(string(table), "\\n")[1:] {
			if f := strings.Fields(line); len(f) > 2 && f[1] == "00000000" {
				route = "via " + f[0]
			}
		}
	}
	conn, err := net.DialTimeout("tcp", "192.0.2.1:80", 3*time.Second)
	if err == nil {
		conn.Close()
	}
	saw := fmt.Sprintf("dial 192.0.2.1:80: %s; default route: %s", errText(err), route)
	return err != nil && errors.Is(err, syscall.ENETUNREACH) && route == "none", saw
}

// /probe-suid is a setuid-root copy of this program: with no_new_privs it runs as the caller.
func setuid() (bool, string) {
	fi, err := os.Stat("/probe-suid")
	if err != nil || fi.Mode()&os.ModeSetuid == 0 || fi.Sys().(*syscall.Stat_t).Uid != 0 {
		return false, fmt.Sprintf("/probe-suid is not a setuid-root file (%v, %v): nothing was tried", fi.Mode(), err)
	}
	out, err := exec.Command("/probe-suid", "whoami").Output()
	if err != nil {
		return true, "exec /probe-suid: " + errText(err)
	}
	var uid, euid int
	fmt.Sscan(string(out), &uid, &euid)
	return euid != 0 && euid == os.Getuid(), fmt.Sprintf("/probe-suid ran as uid=%d euid=%d; NoNewPrivs=%s", uid, euid, procStatus()["NoNewPrivs"])
}

func procStatus() map[string]string {
	m := map[string]string{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return m
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

func errText(err error) string {
	if err == nil {
		return "succeeded"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
`,
  // /writable is 1777, so only a read-only root keeps the probe out of it; /probe-suid is a setuid-root copy.
  Dockerfile: `FROM --platform=$BUILDPLATFORM ${R}/e2e/golang:1.24 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod probe.go ./
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath -o /out/probe . && cp /out/probe /out/probe-suid && chmod 4755 /out/probe-suid && mkdir -m 1777 /out/writable

FROM ${R}/e2e/static:nonroot
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT ["/probe"]
`
}

describe.runIf(run)('smoke run under restricted-v2 (issue 19)', () => {
  let released = ''

  test('a template-built service passes by arguments on both platforms; native startup printed, emulated marked; nothing left behind', async () => {
    const image = uniqueImage('smoke-args')
    const r = await runAction({ image, version: 'v2.0.0', ...template, ...creds, sign: 'false', sbom: 'false', 'smoke-args': '--version', 'startup-budget': '5s' }, { workspace: workspace(service), runPost: true })
    expect(r.exitCode, r.log).toBe(0)
    // QEMU stays off for the build (every RUN is on $BUILDPLATFORM), but the smoke run needs arm64.
    expect(r.log).toMatch(/QEMU for the smoke run only: no RUN executes on the target platform, but the smoke run starts the arm64 image/)
    const amd = new RegExp(`linux/amd64: passed as ${UID.source}, startup (\\d+) ms \\(native\\)`).exec(r.log)
    const arm = new RegExp(`linux/arm64: passed as ${UID.source}, startup (\\d+(\\.\\d+)? m?s) \\(emulated under QEMU\\)`).exec(r.log)
    expect(amd, r.log).not.toBeNull()
    expect(arm, r.log).not.toBeNull()
    // The native platform ran first; the program saw the random UID and GID 0, not 65532.
    expect(r.log.indexOf('linux/amd64: passed')).toBeLessThan(r.log.indexOf('linux/arm64: passed'))
    expect(r.log).toContain(`svc v2.0.0 linux/amd64 uid=${amd?.[1] ?? ''} gid=0`)
    expect(r.log).toMatch(/svc v2\.0\.0 linux\/arm64 uid=1\d{5}0000 gid=0/)
    expect(r.summary).toContain('Smoke run')
    expect(r.summary).toContain('(emulated)')
    // No container of the smoke run is left on the engine.
    expect(docker(['ps', '--all', '--quiet', '--filter', 'label=io.github.vmafx.build-distroless-image.smoke']).out.trim()).toBe('')
    released = `${image}@${r.outputs.digest ?? ''}`
  })

  test('the same service passes by HTTP probe on both platforms', async () => {
    const image = uniqueImage('smoke-http')
    const r = await runAction({ image, version: 'v2.0.0', ...template, ...creds, sign: 'false', sbom: 'false', 'smoke-http-port': '8080', 'smoke-http-path': '/healthz', 'smoke-timeout': '60s' }, { workspace: workspace(service) })
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toMatch(new RegExp(`linux/amd64: passed as ${UID.source}, startup \\d+(\\.\\d+)? m?s \\(native\\)`))
    expect(r.log).toMatch(new RegExp(`linux/arm64: passed as ${UID.source}, startup \\d+(\\.\\d+)? m?s \\(emulated under QEMU\\)`))
    expect(r.log).toContain('listening on :8080')
    expect(r.summary).toContain('-p 127.0.0.1:8080:8080')
    expect(docker(['network', 'ls', '--quiet', '--filter', 'label=io.github.vmafx.build-distroless-image.smoke']).out.trim()).toBe('')
  })

  test('a 0700 config owned by 65532 (built on a remote BuildKit, so the smoke run pulls it): a plain docker run passes, the restricted run fails naming the UID, and nothing is signed', async () => {
    expect(released).not.toBe('')
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('smoke-uid')
    const files = {
      config: 'token=abc\n',
      Dockerfile: `FROM ${released}\nCOPY --chown=65532:65532 --chmod=0700 config /etc/app/config\nUSER 65532:65532\nENTRYPOINT ["/app"]\n`
    }
    const r = await runAction({ image, version: 'v2.0.1', 'allowed-bases': `${R}/*`, ...creds, ...remote(), ...keySigning(keys.key, PASSWORD), 'smoke-args': '--version' }, { workspace: workspace(files) })
    expect(r.exitCode, r.log).toBe(1)
    const digest = r.outputs.digest ?? ''
    // Pulled by each platform's digest with the action's credentials, and removed afterwards.
    const platforms = JSON.parse(r.outputs['platform-digests'] ?? '{}') as Record<string, string>
    for (const p of ['linux/amd64', 'linux/arm64']) expect(r.log).toContain(`${p}: pulling ${image}@${platforms[p] ?? ''}`)
    expect(docker(['images', '--quiet', image]).out.trim()).toBe('')
    // As the image's own user it works ...
    expect(docker(['run', '--rm', '--platform', 'linux/amd64', `${image}@${digest}`, '--version']).out).toContain('svc v2.0.0 linux/amd64 uid=65532 gid=65532')
    // ... as OpenShift would run it, it does not: the error names platform, UID, command and output.
    const error = r.log.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    expect(error).toMatch(/linux\/amd64: the smoke run as UID 1\d{5}0000 \(GID 0, restricted-v2\) failed: exited with code 1\./)
    expect(error).toMatch(/Command: docker run --rm --platform linux\/amd64 --user 1\d{5}0000:0 --read-only --tmpfs \/tmp:rw,nosuid,nodev,size=64m --cap-drop ALL --security-opt no-new-privileges --network none \S+ --version/)
    expect(error).toContain('reading config: open /etc/app/config: permission denied')
    expect(error).toContain(`No tag was moved: ${image}@${digest} is in the registry by digest only; 2.0.1, 2.0, 2, latest stay where they were`)
    expect(docker(['buildx', 'imagetools', 'inspect', `${image}:2.0.1`], { allowFailure: true }).code).not.toBe(0)
    expect(r.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(r.outputs.signed).toBe('false')
    expect(r.summary).toContain('❌ exited with code 1')
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${digest}`]).code).not.toBe(0)
  })
})

describe.runIf(run)('the smoke run isolation, as a program inside it sees it (issue 30, part 7)', () => {
  const probeBases = { 'allowed-bases': `${R}/e2e/*` }
  const HELD = [
    'probe: write outside /tmp: held: read-only file system (/writable); read-only file system (/); read-only file system (/etc)',
    'probe: capabilities: held: chown /tmp/probe 0:0: operation not permitted; CapEff=0000000000000000 CapBnd=0000000000000000',
    'probe: network: held: dial 192.0.2.1:80: network is unreachable; default route: none',
    'probe: every restriction held'
  ]
  const SETUID_HELD = /probe: setuid: held: \/probe-suid ran as uid=(1\d{5}0000) euid=\1; NoNewPrivs=1/
  let probeImage = ''
  // The by-hand runs below pull it; the action removes only what it pulled itself.
  afterAll(() => {
    if (probeImage) docker(['image', 'rm', probeImage], { allowFailure: true })
  })

  test('args mode: on both platforms every restriction held as the program saw it, and the summary says what was given', async () => {
    const image = uniqueImage('smoke-probe')
    const r = await runAction({ image, version: 'v3.0.0', ...probeBases, ...creds, sign: 'false', sbom: 'false', 'smoke-args': 'check', 'startup-budget': '10s' }, { workspace: workspace(probe) })
    expect(r.exitCode, r.log).toBe(0)
    // The probe exits 3 when a restriction did not hold, so both passes prove each held; the lines say how.
    expect(r.log).toMatch(new RegExp(`linux/amd64: passed as ${UID.source}`))
    expect(r.log).toMatch(new RegExp(`linux/arm64: passed as ${UID.source}`))
    for (const line of HELD) expect(r.log.split(`  | ${line}`).length - 1, line).toBe(2)
    expect(r.log.match(new RegExp(SETUID_HELD.source, 'g')) ?? [], r.log).toHaveLength(2)
    expect(r.summary).toContain('no network (`--network none`: loopback only)')
    expect(r.summary).toContain('writable only /tmp (64 MB, nosuid, nodev) and /dev/shm (64 MB, as in a pod)')
    expect(r.summary).toContain('<td>✅ within 10 s</td>')
    expect(r.summary).toContain('<td>not judged (emulated)</td>')
    probeImage = `${image}@${r.outputs.digest ?? ''}`
  })

  // The same image run by hand with one restriction left out: the probe sees that one, and fails.
  // On amd64: QEMU's binfmt entry has no C flag, so under emulation a setuid bit is ignored anyway.
  test.each<[string, (argv: string[]) => string[], string]>([
    ['writable root (no --read-only)', (a) => a.filter((x) => x !== '--read-only'), 'probe: write outside /tmp: NOT HELD: wrote /writable/probe; permission denied (/); permission denied (/etc)'],
    ['capabilities kept (no --cap-drop ALL)', (a) => a.filter((x, i) => x !== '--cap-drop' && a[i - 1] !== '--cap-drop'), 'probe: capabilities: NOT HELD: chown /tmp/probe 0:0: operation not permitted; CapEff=0000000000000000 CapBnd=00000000'],
    ['the default bridge network (no --network none)', (a) => a.filter((x, i) => x !== '--network' && a[i - 1] !== '--network'), 'probe: network: NOT HELD: dial 192.0.2.1:80: '],
    ['setuid honoured (no no-new-privileges)', (a) => a.filter((x, i) => x !== '--security-opt' && a[i - 1] !== '--security-opt'), 'probe: setuid: NOT HELD: /probe-suid ran as uid=1000660000 euid=0; NoNewPrivs=0']
  ])('the probe detects a lifted restriction: %s', (_name, lift, line) => {
    expect(probeImage).not.toBe('')
    const restricted = ['--user', '1000660000:0', '--read-only', '--tmpfs', '/tmp:rw,nosuid,nodev,size=64m', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--network', 'none']
    const all = docker(['run', '--rm', '--platform', 'linux/amd64', ...restricted, probeImage, 'check'], { allowFailure: true })
    expect(all.code, all.out).toBe(0)
    const lifted = docker(['run', '--rm', '--platform', 'linux/amd64', ...lift(restricted), probeImage, 'check'], { allowFailure: true })
    expect(lifted.code, lifted.out).toBe(3)
    expect(lifted.out).toContain(line)
    expect(lifted.out).toContain('probe: 1 restriction(s) did not hold')
  })

  test('probe mode on an emulated platform only: the summary names the internal network, and says startup-budget was not judged and why', async () => {
    const image = uniqueImage('smoke-probe-http')
    const r = await runAction(
      { image, version: 'v3.0.0', platforms: 'linux/arm64', ...probeBases, ...creds, sign: 'false', sbom: 'false', 'smoke-args': 'serve', 'smoke-http-port': '8080', 'smoke-http-path': '/healthz', 'smoke-timeout': '60s', 'startup-budget': '1s' },
      { workspace: workspace(probe) }
    )
    expect(r.exitCode, r.log).toBe(0)
    expect(r.log).toMatch(new RegExp(`linux/arm64: passed as ${UID.source}, startup \\d+(\\.\\d+)? m?s \\(emulated under QEMU\\)`))
    // On its internal network the container still has no route out.
    for (const line of HELD) expect(r.log).toContain(`  | ${line}`)
    expect(r.log).toMatch(SETUID_HELD)
    expect(r.summary).toContain('an internal network of its own (`docker network create --internal`), removed afterwards: the runner reaches port 8080 on it')
    expect(r.summary).toContain("the runner's own address on it (the bridge) is reachable")
    expect(r.summary).not.toContain('no network')
    expect(r.summary).toContain('<strong>⚠️ startup-budget 1 s was not judged:</strong> no platform of this release runs natively on this runner; linux/arm64 ran under QEMU, whose startup times say little about the release')
    expect(r.log).toContain('::warning::startup-budget 1 s was not judged: no platform of this release runs natively on this runner')
  })

  test('policy: warn does not sign a native service that never answered: stopped at smoke-timeout, it was over startup-budget, and nothing is signed', async () => {
    const keys = keyPair(PASSWORD)
    const image = uniqueImage('smoke-budget-timeout')
    const r = await runAction(
      { image, version: 'v2.0.2', platforms: 'linux/amd64', ...template, ...creds, ...keySigning(keys.key, PASSWORD), sbom: 'false', policy: 'warn', 'smoke-http-port': '8080', 'smoke-http-path': '/missing', 'smoke-timeout': '3s', 'startup-budget': '2s' },
      { workspace: workspace(service) }
    )
    expect(r.exitCode, r.log).toBe(1)
    const error = r.log.split('\n').find((l) => l.startsWith('::error::')) ?? ''
    expect(error).toMatch(/linux\/amd64: did not start within smoke-timeout 3 s, over startup-budget 2 s \(run natively, as UID 1\d{5}0000\)/)
    expect(r.log).not.toMatch(/\[command\]\S*cosign (sign|attest) /)
    expect(r.outputs.signed).toBe('false')
    expect(cosign('cosign', ['verify', '--key', keys.pub, '--insecure-ignore-tlog=true', `${image}@${r.outputs.digest ?? ''}`]).code).not.toBe(0)
  })
})
