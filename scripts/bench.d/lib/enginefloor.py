"""The engine floor of a compose stack: the Engine API calls that no tool can avoid for `up -d` and
`down`, made straight on the socket (threads, no process start, nothing read that is not needed),
each as early as depends_on allows. Shared by the benchmarks in scripts/bench.d (not itself one:
not executable, so scripts/bench does not list it)."""
import http.client, json, socket, threading


class EngineConnection(http.client.HTTPConnection):
    def __init__(self):
        super().__init__("localhost")

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect("/var/run/docker.sock")


def call(method, path, body=None, tolerate=()):
    """One request; a status in `tolerate` (besides 304) is not an error."""
    c = EngineConnection()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    c.request(method, "/v1.41" + path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    if r.status >= 300 and r.status != 304 and r.status not in tolerate:
        raise RuntimeError(f"{method} {path}: {r.status} {data[:200]!r}")
    return r.status


class Floor:
    """A stack of services `deps` (service -> the services it depends on) running `image` with
    `command`; `env(service)` gives each one's Env."""

    def __init__(self, project, deps, image, command, env=lambda s: []):
        self.project, self.deps, self.image, self.command, self.env = project, deps, image, command, env
        self.net = f"{project}_default"
        self.dependents = {s: [d for d in deps if s in deps[d]] for s in deps}

    def name(self, s):
        return f"{self.project}-{s}-1"

    def _each(self, services, fn):
        failures = []

        def body(s):
            try:
                fn(s)
            except Exception as e:
                failures.append(e)
        threads = [threading.Thread(target=body, args=(s,)) for s in services]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if failures:
            raise failures[0]

    def _create(self, s):
        call("POST", f"/containers/create?name={self.name(s)}", {
            "Image": self.image, "Cmd": self.command, "StopSignal": "SIGKILL", "Env": self.env(s),
            "Labels": {"com.docker.compose.project": self.project, "com.docker.compose.service": s},
            "HostConfig": {"NetworkMode": self.net}, "NetworkingConfig": {"EndpointsConfig": {self.net: {"Aliases": [s]}}}})

    def _along(self, after, fn):
        """Runs fn on every service once all of `after(service)` are done, each on its own thread."""
        done = {s: threading.Event() for s in self.deps}

        def step(s):
            for d in after(s):
                done[d].wait()
            try:
                fn(s)
            finally:
                done[s].set()
        self._each(list(self.deps), step)

    def up(self, ordered=True):
        # 409: the network a previous down could not remove (see `down`) is reused, as the tools do.
        call("POST", "/networks/create", {"Name": self.net, "Driver": "bridge", "CheckDuplicate": True,
                                          "Labels": {"com.docker.compose.project": self.project}}, tolerate=(409,))
        self._each(list(self.deps), self._create)
        start = lambda s: call("POST", f"/containers/{self.name(s)}/start")
        if ordered:
            self._along(lambda s: self.deps[s], start)
        else:
            self._each(list(self.deps), start)

    def down(self, ordered=True):
        stopped = {s: threading.Event() for s in self.deps}

        def stop_remove(s):
            try:
                call("POST", f"/containers/{self.name(s)}/stop?t=0")
            finally:
                stopped[s].set()
            call("DELETE", f"/containers/{self.name(s)}?force=1")

        def step(s):
            if ordered:                    # dependents first; each removed as soon as it stopped
                for d in self.dependents[s]:
                    stopped[d].wait()
            stop_remove(s)
        self._each(list(self.deps), step)
        # 403 "has active endpoints": the engine (20.10) now and then keeps a stale endpoint after
        # fast removals; the network stays and the next up reuses it (docker-compose meets the same).
        call("DELETE", f"/networks/{self.net}", tolerate=(403,))

    def clean(self):
        for s in self.deps:
            try:
                call("DELETE", f"/containers/{self.name(s)}?force=1")
            except Exception:
                pass
        try:
            call("DELETE", f"/networks/{self.net}")
        except Exception:
            pass
