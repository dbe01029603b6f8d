import Foundation
import Testing

@testable import Compose

/// Each case is a broken compose file; the loader must reject it with a diagnostic naming the file,
/// the line, the key path and what was expected.
@Suite("Compose bad input")
struct BadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        var line: Int
        var path: String
        var message: String
        var environment: [String: String] = [:]
        var testDescription: String { name }
    }

    static let svc = "services:\n  a:\n    image: busybox\n"  // lines 1-3; the case adds from line 4

    static let cases: [Case] = [
        Case(
            name: "unknown top-level key", yaml: "servics:\n  a:\n    image: x\n", line: 1, path: "servics",
            message: "unknown key `servics` (did you mean `services`?)"),
        Case(
            name: "unknown service key", yaml: svc + "    imgae: nginx\n", line: 4, path: "services.a.imgae",
            message: "unknown key `imgae` (did you mean `image`?)"),
        Case(
            name: "image is a mapping", yaml: "services:\n  a:\n    image:\n      name: x\n", line: 4, path: "services.a.image",
            message: "expected a string, found a mapping"),
        Case(name: "service is a list", yaml: "services:\n  a:\n    - image\n", line: 3, path: "services.a", message: "expected a mapping, found a sequence"),
        Case(name: "ports is not a list", yaml: svc + "    ports: 80\n", line: 4, path: "services.a.ports", message: "expected a list, found a scalar"),
        Case(
            name: "port is not a number", yaml: svc + "    ports:\n      - \"80\"\n      - abc\n", line: 6, path: "services.a.ports[1]",
            message: "invalid port \"abc\""),
        Case(
            name: "published port out of range", yaml: svc + "    ports:\n      - \"70000:80\"\n", line: 5, path: "services.a.ports[0]",
            message: "published port \"70000\" is not a port"),
        Case(
            name: "container port zero", yaml: svc + "    ports:\n      - \"8080:0\"\n", line: 5, path: "services.a.ports[0]", message: "container port \"0\""),
        Case(
            name: "port ranges of different sizes", yaml: svc + "    ports:\n      - \"8000-8002:9000-9001\"\n", line: 5, path: "services.a.ports[0]",
            message: "port ranges differ in size"),
        Case(
            name: "unknown port protocol", yaml: svc + "    ports:\n      - \"80/xyz\"\n", line: 5, path: "services.a.ports[0]",
            message: "unknown protocol \"xyz\""),
        Case(
            name: "long port without target", yaml: svc + "    ports:\n      - published: 80\n", line: 5, path: "services.a.ports[0]", message: "needs `target`"
        ),
        Case(
            name: "long port unknown key", yaml: svc + "    ports:\n      - target: 80\n        hostip: 127.0.0.1\n", line: 6,
            path: "services.a.ports[0].hostip", message: "unknown key `hostip`"),
        Case(
            name: "undefined named volume", yaml: svc + "    volumes:\n      - data:/data\n", line: 5, path: "services.a.volumes[0]",
            message: "undefined volume \"data\""),
        Case(
            name: "relative container path", yaml: svc + "    volumes:\n      - ./conf:etc/conf\n", line: 5, path: "services.a.volumes[0]",
            message: "must be absolute"),
        Case(
            name: "bad volume mode", yaml: svc + "    volumes:\n      - ./conf:/etc/conf:rx\n", line: 5, path: "services.a.volumes[0]",
            message: "invalid volume mode \"rx\""),
        Case(
            name: "long volume without type", yaml: svc + "    volumes:\n      - source: ./x\n        target: /x\n", line: 5, path: "services.a.volumes[0]",
            message: "needs `type`"),
        Case(
            name: "long volume with unknown type", yaml: svc + "    volumes:\n      - type: disk\n        target: /x\n", line: 5,
            path: "services.a.volumes[0].type", message: "invalid volume type \"disk\""),
        Case(
            name: "bind without source", yaml: svc + "    volumes:\n      - type: bind\n        target: /x\n", line: 5, path: "services.a.volumes[0]",
            message: "needs `source`"),
        Case(
            name: "depends on an undefined service", yaml: svc + "    depends_on:\n      - db\n", line: 5, path: "services.a.depends_on.db",
            message: "undefined service \"db\""),
        Case(
            name: "depends on itself", yaml: svc + "    depends_on:\n      - a\n", line: 5, path: "services.a.depends_on.a",
            message: "service a depends on itself"),
        Case(
            name: "two-service cycle", yaml: "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n", line: 4,
            path: "services.a.depends_on", message: "dependency cycle: a -> b -> a"),
        Case(
            name: "three-service cycle",
            yaml:
                "services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: service_healthy\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    depends_on: [a]\n",
            line: 5, path: "services.a.depends_on", message: "dependency cycle: a -> b -> c -> a"),
        Case(
            name: "invalid depends_on condition",
            yaml: "services:\n  a:\n    image: x\n    depends_on:\n      b:\n        condition: service_ready\n  b:\n    image: x\n", line: 6,
            path: "services.a.depends_on.b.condition", message: "invalid condition \"service_ready\""),
        Case(
            name: "depends_on long form unknown key",
            yaml: "services:\n  a:\n    image: x\n    depends_on:\n      b:\n        conditon: service_started\n  b:\n    image: x\n", line: 6,
            path: "services.a.depends_on.b.conditon", message: "unknown key `conditon` (did you mean `condition`?)"),
        Case(
            name: "undefined network in list", yaml: svc + "    networks:\n      - front\n", line: 5, path: "services.a.networks[0]",
            message: "undefined network \"front\""),
        Case(
            name: "undefined network in mapping", yaml: svc + "    networks:\n      front:\n        aliases: [web]\n", line: 5,
            path: "services.a.networks.front", message: "undefined network \"front\""),
        Case(
            name: "network_mode with networks", yaml: svc + "    network_mode: host\n    networks: [default]\n", line: 5, path: "services.a.networks",
            message: "cannot be used together with `network_mode`"),
        Case(
            name: "network_mode of an undefined service", yaml: svc + "    network_mode: service:vpn\n", line: 4, path: "services.a.network_mode",
            message: "undefined service \"vpn\""),
        Case(
            name: "invalid healthcheck interval", yaml: svc + "    healthcheck:\n      test: [\"CMD\", \"true\"]\n      interval: 10 seconds\n", line: 6,
            path: "services.a.healthcheck.interval", message: "invalid duration \"10 seconds\""),
        Case(
            name: "healthcheck retries not an integer", yaml: svc + "    healthcheck:\n      retries: many\n", line: 5, path: "services.a.healthcheck.retries",
            message: "expected an integer, found \"many\""),
        Case(
            name: "healthcheck test list without CMD", yaml: svc + "    healthcheck:\n      test: [\"curl\", \"-f\", \"http://x\"]\n", line: 5,
            path: "services.a.healthcheck.test", message: "must start with CMD, CMD-SHELL or NONE"),
        Case(
            name: "healthcheck unknown key", yaml: svc + "    healthcheck:\n      intervall: 5s\n", line: 5, path: "services.a.healthcheck.intervall",
            message: "unknown key `intervall` (did you mean `interval`?)"),
        Case(
            name: "missing required variable", yaml: svc + "    environment:\n      DB_PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD in .env}\n", line: 5,
            path: "services.a.environment.DB_PASSWORD", message: "required variable DB_PASSWORD is missing a value: set DB_PASSWORD in .env"),
        Case(
            name: "invalid interpolation", yaml: "services:\n  a:\n    image: \"busybox:${}\"\n", line: 3, path: "services.a.image",
            message: "invalid interpolation format \"${}\""),
        Case(
            name: "invalid restart policy", yaml: svc + "    restart: sometimes\n", line: 4, path: "services.a.restart",
            message: "invalid restart policy \"sometimes\""),
        Case(
            name: "privileged not a boolean", yaml: svc + "    privileged: maybe\n", line: 4, path: "services.a.privileged",
            message: "expected a boolean (true or false), found \"maybe\""),
        Case(
            name: "neither image nor build", yaml: "services:\n  a:\n    command: [\"true\"]\n", line: 3, path: "services.a",
            message: "neither an image nor a build context"),
        Case(
            name: "invalid stop_grace_period", yaml: svc + "    stop_grace_period: soon\n", line: 4, path: "services.a.stop_grace_period",
            message: "invalid duration \"soon\""),
        Case(
            name: "invalid memory limit", yaml: svc + "    deploy:\n      resources:\n        limits:\n          memory: lots\n", line: 7,
            path: "services.a.deploy.resources.limits.memory", message: "invalid byte size \"lots\""),
        Case(
            name: "invalid cpus", yaml: svc + "    deploy:\n      resources:\n        limits:\n          cpus: fast\n", line: 7,
            path: "services.a.deploy.resources.limits.cpus", message: "expected a number of CPUs"),
        Case(
            name: "deploy unknown key", yaml: svc + "    deploy:\n      replica: 2\n", line: 5, path: "services.a.deploy.replica",
            message: "unknown key `replica` (did you mean `replicas`?)"),
        Case(
            name: "environment entry not a string", yaml: svc + "    environment:\n      - [A, B]\n", line: 5, path: "services.a.environment[0]",
            message: "expected a string, found a sequence"),
        Case(
            name: "environment value is a mapping", yaml: svc + "    environment:\n      A:\n        nested: 1\n", line: 6, path: "services.a.environment.A",
            message: "expected a string, number or boolean, found a mapping"),
        Case(
            name: "undefined secret", yaml: svc + "    secrets:\n      - db_password\n", line: 5, path: "services.a.secrets[0]",
            message: "undefined secret \"db_password\""),
        Case(
            name: "invalid pull_policy", yaml: svc + "    pull_policy: sometimes\n", line: 4, path: "services.a.pull_policy",
            message: "invalid pull_policy \"sometimes\""),
        Case(
            name: "invalid service name", yaml: "services:\n  \"bad name!\":\n    image: x\n", line: 2, path: "services.bad name!",
            message: "invalid service name \"bad name!\""),
        Case(name: "YAML syntax error", yaml: "services:\n  a:\n    image: x\n   bad: [\n", line: 4, path: "", message: "not valid YAML"),
        Case(name: "top level is a list", yaml: "- services\n", line: 1, path: "", message: "expected a mapping at the top level, found a sequence"),
        Case(
            name: "ulimit soft above hard", yaml: svc + "    ulimits:\n      nofile:\n        soft: 20000\n        hard: 1000\n", line: 6,
            path: "services.a.ulimits.nofile", message: "soft limit 20000 is above the hard limit 1000"),
        Case(
            name: "invalid container name", yaml: svc + "    container_name: \"my container\"\n", line: 4, path: "services.a.container_name",
            message: "invalid container name \"my container\""),
        Case(
            name: "env_file not found", yaml: svc + "    env_file:\n      - ./missing.env\n", line: 5, path: "services.a.env_file[0]",
            message: "missing.env not found"),
        Case(name: "invalid expose port", yaml: svc + "    expose:\n      - http\n", line: 5, path: "services.a.expose[0]", message: "invalid port \"http\""),
        Case(
            name: "invalid extra host", yaml: svc + "    extra_hosts:\n      - nohost\n", line: 5, path: "services.a.extra_hosts[0]",
            message: "invalid extra host \"nohost\""),
        Case(
            name: "invalid device", yaml: svc + "    devices:\n      - dev/kmsg\n", line: 5, path: "services.a.devices[0]",
            message: "invalid device \"dev/kmsg\""),
        Case(
            name: "top-level network is a list", yaml: svc + "networks:\n  front:\n    - bridge\n", line: 6, path: "networks.front",
            message: "expected a mapping, found a sequence"),
        Case(
            name: "top-level volume unknown key", yaml: svc + "volumes:\n  data:\n    driverr: local\n", line: 6, path: "volumes.data.driverr",
            message: "unknown key `driverr` (did you mean `driver`?)"),
        Case(
            name: "unterminated quote in command", yaml: svc + "    command: echo \"hello\n", line: 4, path: "services.a.command", message: "unterminated quote"
        ),
        Case(
            name: "secret with two sources", yaml: svc + "secrets:\n  s:\n    file: ./s.txt\n    environment: S\n", line: 6, path: "secrets.s",
            message: "exactly one of file, environment or external"),
        Case(
            name: "negative retries", yaml: svc + "    healthcheck:\n      retries: -1\n", line: 5, path: "services.a.healthcheck.retries",
            message: "retries must not be negative"),
        Case(
            name: "invalid profile name", yaml: svc + "    profiles: [\"-debug\"]\n", line: 4, path: "services.a.profiles[0]",
            message: "invalid profile name \"-debug\""),
        Case(
            name: "unsupported extends", yaml: svc + "    extends:\n      service: b\n", line: 5, path: "services.a.extends",
            message: "`extends` is not supported"),
        Case(
            name: "external network unknown key", yaml: svc + "networks:\n  n:\n    external:\n      nam: x\n", line: 7, path: "networks.n.external.nam",
            message: "unknown key `nam` (did you mean `name`?)"),
        Case(name: "duplicate key", yaml: "services:\n  a:\n    image: x\n    image: y\n", line: 3, path: "", message: "duplicate key"),
        // Compose v2 parity (issue 13).
        Case(
            name: "duplicate mount target",
            yaml: svc + "    volumes:\n      - ./a:/data\n      - type: volume\n        source: v\n        target: /data/\nvolumes:\n  v: {}\n", line: 6,
            path: "services.a.volumes[1]", message: "target /data is already mounted by services.a.volumes[0]"),
        Case(
            name: "tmpfs and volume on one target", yaml: svc + "    tmpfs: /run\n    volumes: [\"./r:/run:ro\"]\n", line: 5, path: "services.a.volumes[0]",
            message: "target /run is already mounted by services.a.tmpfs"),
        Case(
            name: "image from an unset variable", yaml: "services:\n  a:\n    image: ${IMAGE}\n", line: 3, path: "services.a",
            message: "neither an image nor a build context"),
        Case(
            name: "environment list item is a number", yaml: svc + "    environment:\n      - A=1\n      - 123\n", line: 6, path: "services.a.environment[1]",
            message: "expected a string (\"KEY=VALUE\" or \"KEY\"), found a number"),
        Case(
            name: "environment list item is a boolean", yaml: svc + "    environment:\n      - true\n", line: 5, path: "services.a.environment[0]",
            message: "found a boolean"),
        Case(
            name: "environment list item is null", yaml: svc + "    environment:\n      -\n", line: 5, path: "services.a.environment[0]", message: "found null"),
        Case(
            name: "net suggests network_mode", yaml: svc + "    net: host\n", line: 4, path: "services.a.net",
            message: "unknown key `net` (did you mean `network_mode`?)"),
        Case(
            name: "a tab in the indentation is named", yaml: "services:\n  a:\n\timage: x\n", line: 3, path: "", message: "a tab character in the indentation"),
        Case(
            name: "invalid restart policy still refused", yaml: svc + "    restart: \"no way\"\n", line: 4, path: "services.a.restart",
            message: "invalid restart policy \"no way\""),
        // Hostile values: refused where they are written, before anything adapts them.
        Case(name: "cpus inf", yaml: svc + "    cpus: inf\n", line: 4, path: "services.a.cpus", message: "expected a number of CPUs (e.g. 0.5), found \"inf\""),
        Case(name: "cpus 1e10", yaml: svc + "    cpus: 1e10\n", line: 4, path: "services.a.cpus", message: "too many CPUs: 1e10"),
        Case(
            name: "deploy cpus inf", yaml: svc + "    deploy:\n      resources:\n        limits:\n          cpus: \"inf\"\n", line: 7,
            path: "services.a.deploy.resources.limits.cpus", message: "found \"inf\""),
        Case(
            name: "deploy cpus 1e10", yaml: svc + "    deploy:\n      resources:\n        reservations:\n          cpus: 1e10\n", line: 7,
            path: "services.a.deploy.resources.reservations.cpus", message: "too many CPUs"),
        Case(name: "cpus nan", yaml: svc + "    cpus: nan\n", line: 4, path: "services.a.cpus", message: "found \"nan\""),
        Case(
            name: "replicas in the billions", yaml: svc + "    deploy:\n      replicas: 5000000000\n", line: 5, path: "services.a.deploy.replicas",
            message: "too many replicas: 5000000000"),
        Case(name: "scale in the billions", yaml: svc + "    scale: 3000000000\n", line: 4, path: "services.a.scale", message: "too many replicas: 3000000000"),
        Case(name: "negative scale", yaml: svc + "    scale: -1\n", line: 4, path: "services.a.scale", message: "replicas must not be negative"),
    ]

    @Test("a broken file is rejected naming file, line, key path and what was expected", arguments: cases)
    func rejected(_ c: Case) throws {
        let (diagnostics, dir) = try Fixture.diagnostics(c.yaml, environment: c.environment)
        let file = dir + "/compose.yaml"
        let match = diagnostics.first { $0.path == c.path && $0.message.contains(c.message) }
        #expect(match != nil, "no diagnostic at \(c.path) containing \"\(c.message)\"; got:\n\(diagnostics.map(\.description).joined(separator: "\n"))")
        if let match {
            #expect(match.file == file)
            #expect(match.line == c.line)
            #expect(match.column >= 1)
        }
    }

    @Test("every error in a file is reported, in line order, not just the first")
    func allErrors() throws {
        let yaml = """
            services:
              a:
                image: x
                restart: sometimes
                ports: ["99999:80"]
                depends_on: [ghost]
              b:
                build: .
                privileged: perhaps
            """
        let (diagnostics, _) = try Fixture.diagnostics(yaml)
        #expect(diagnostics.map(\.path) == ["services.a.restart", "services.a.ports[0]", "services.a.depends_on.ghost", "services.b.privileged"])
        #expect(diagnostics.map(\.line) == [4, 5, 6, 9])
        let error = ComposeError.invalid(diagnostics)
        #expect(error.description.hasPrefix("invalid stack (4 errors):"))
    }

    @Test("an error in an override file names the override file")
    func overrideFile() throws {
        let (diagnostics, dir) = try Fixture.diagnostics(
            "services:\n  a:\n    image: x\n",
            extra: ["override.yaml": "services:\n  a:\n    healthcheck:\n      timeout: forever\n"],
            files: ["compose.yaml", "override.yaml"])
        let d = try #require(diagnostics.first)
        #expect(d.file == dir + "/override.yaml")
        #expect(d.line == 4)
        #expect(d.path == "services.a.healthcheck.timeout")
    }

    @Test("a missing file is reported as unreadable with its path")
    func missingFile() throws {
        #expect {
            try ComposeLoader().load(ComposeLoadOptions(files: ["/nonexistent/compose.yaml"], environment: [:]))
        } throws: { error in
            guard case ComposeError.unreadable(let path, let reason) = error else { return false }
            return path == "/nonexistent/compose.yaml" && reason == "no such file"
        }
    }

    @Test("an invalid -p project name is refused")
    func invalidProjectName() throws {
        let dir = try Fixture.directory(["compose.yaml": "services:\n  a:\n    image: x\n"])
        defer { Fixture.cleanup(dir) }
        #expect {
            try ComposeLoader().load(ComposeLoadOptions(files: [dir + "/compose.yaml"], projectName: "My Project", environment: [:]))
        } throws: { error in
            guard case ComposeError.usage(let message) = error else { return false }
            return message.contains("invalid project name \"My Project\"")
        }
    }

    @Test("a broken .env line is reported with its line")
    func brokenDotEnv() throws {
        let (diagnostics, dir) = try Fixture.diagnostics("services:\n  a:\n    image: x\n", extra: [".env": "GOOD=1\nBAD KEY=2\n"])
        let d = try #require(diagnostics.first)
        #expect(d.file == dir + "/.env")
        #expect(d.line == 2)
        #expect(d.message.contains("invalid variable name"))
        #expect(!d.message.contains("BAD KEY"))  // the line may be a secret (a PEM line has `=` in it): position only
    }
}
