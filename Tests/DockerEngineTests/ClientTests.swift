import Foundation
import HTTPTransport
import Logging
import TestSupport
import Testing

@testable import DockerEngine

@Suite("DockerEngine.Client requests and errors")
struct ClientTests {
    let endpoint = HTTPEndpoint(address: .unixSocket(path: "/tmp/sptest-none.sock"))

    func client(_ transport: StubTransport) -> DockerEngine.Client {
        DockerEngine.Client(endpoint: endpoint, transport: transport)
    }

    @Test("the first call pings once, then every path carries the negotiated version")
    func negotiatesOnce() async throws {
        let transport = StubTransport(engineAPIVersion: "1.47") { request in
            request.pathOnly.hasSuffix("/containers/json") ? .json("[]") : .json("{\"Version\":\"27.0.0\",\"ApiVersion\":\"1.47\"}")
        }
        let client = client(transport)
        _ = try await client.listContainers()
        _ = try await client.version()
        #expect(transport.requests.filter { $0.path == "/_ping" }.count == 1)
        #expect(transport.apiRequests.map(\.pathOnly) == ["/v1.47/containers/json", "/v1.47/version"])
        #expect(try await client.apiVersion() == DockerEngine.APIVersion(1, 47))
    }

    @Test("an engine newer than the client is spoken to in the client's newest version")
    func newerEngine() async throws {
        let transport = StubTransport(engineAPIVersion: "1.99") { _ in .json("{\"Version\":\"99\",\"ApiVersion\":\"1.99\"}") }
        _ = try await client(transport).version()
        #expect(transport.apiRequests.first?.pathOnly == "/v\(DockerEngine.APIVersion.maximumSupported)/version")
    }

    @Test("an engine older than 1.41 fails before any API request")
    func olderEngine() async throws {
        let transport = StubTransport(engineAPIVersion: "1.40")
        await #expect(throws: DockerEngine.Error.self) { try await client(transport).info() }
        #expect(transport.apiRequests.isEmpty)
    }

    @Test("a pinned version skips the ping")
    func pinned() async throws {
        let transport = StubTransport { _ in .json("{}") }
        let client = DockerEngine.Client(endpoint: endpoint, transport: transport, apiVersion: DockerEngine.APIVersion(1, 44))
        _ = try await client.info()
        #expect(transport.requests.map(\.pathOnly) == ["/v1.44/info"])
    }

    @Test("list filters are sent as the engine's JSON filters parameter")
    func filters() async throws {
        let transport = StubTransport { _ in .json("[]") }
        _ = try await client(transport).listContainers(all: true, filters: .init().label("com.docker.compose.project=web").status("running"))
        let query = try #require(transport.apiRequests.first).query
        #expect(query["all"] == ["1"])
        let filters = try #require(query["filters"]?.first)
        let decoded = try JSONDecoder().decode([String: [String]].self, from: Data(filters.utf8))
        #expect(decoded == ["label": ["com.docker.compose.project=web"], "status": ["running"]])
    }

    @Test("create sends the full config with the engine's key names and only the fields set")
    func createBody() async throws {
        let transport = StubTransport { _ in .json("{\"Id\":\"abc123\",\"Warnings\":[]}", status: 201) }
        var host = DockerEngine.HostConfig()
        host.portBindings = ["5000/tcp": [DockerEngine.PortBinding(hostIP: "127.0.0.1", hostPort: "5000")]]
        host.binds = ["/srv/data:/data:ro"]
        host.mounts = [DockerEngine.Mount(type: "volume", source: "prom-data", target: "/prometheus")]
        host.tmpfs = ["/run": "size=64m"]
        host.networkMode = "web_default"
        host.restartPolicy = DockerEngine.RestartPolicy(name: "unless-stopped")
        host.capAdd = ["NET_ADMIN"]
        host.capDrop = ["ALL"]
        host.devices = [DockerEngine.DeviceMapping(pathOnHost: "/dev/fuse", pathInContainer: "/dev/fuse")]
        host.extraHosts = ["host.docker.internal:host-gateway"]
        host.ulimits = [DockerEngine.Ulimit(name: "nofile", soft: 1024, hard: 2048)]
        host.memory = 256 << 20
        host.nanoCpus = 500_000_000
        host.privileged = false
        var config = DockerEngine.ContainerConfig(
            image: "stackpilot-local/workload-sim:0.1.0", cmd: ["--role", "api"], env: ["PORT=5000"], labels: ["com.docker.compose.service": "api"],
            hostConfig: host)
        config.entrypoint = ["/bin/workload-sim"]
        config.exposedPorts = ["5000/tcp": .init()]
        config.healthcheck = DockerEngine.HealthConfig(
            test: ["CMD-SHELL", "wget -q --spider http://localhost:5000/health"], interval: .seconds(15), timeout: .milliseconds(1500), retries: 3,
            startPeriod: .seconds(5))
        config.networkingConfig = DockerEngine.NetworkingConfig(endpointsConfig: ["web_default": DockerEngine.EndpointSettings(aliases: ["api"])])

        let created = try await client(transport).createContainer(name: "web-api-1", config)
        #expect(created.id == "abc123")
        let request = try #require(transport.apiRequests.first)
        #expect(request.method == .post)
        #expect(request.pathOnly == "/v1.41/containers/create")
        #expect(request.query["name"] == ["web-api-1"])
        #expect(request.header("Content-Type") == "application/json")
        let json = try #require(request.bodyJSON)
        #expect(json["Image"] as? String == "stackpilot-local/workload-sim:0.1.0")
        #expect(json["Entrypoint"] as? [String] == ["/bin/workload-sim"])
        #expect(json["Env"] as? [String] == ["PORT=5000"])
        #expect((json["ExposedPorts"] as? [String: Any])?.keys.sorted() == ["5000/tcp"])
        #expect(json["Tty"] == nil, "unset fields are left out")
        let health = try #require(json["Healthcheck"] as? [String: Any])
        #expect(health["Interval"] as? Int == 15_000_000_000)
        #expect(health["Timeout"] as? Int == 1_500_000_000)
        let hostJSON = try #require(json["HostConfig"] as? [String: Any])
        let binding = try #require((hostJSON["PortBindings"] as? [String: [[String: String]]])?["5000/tcp"]?.first)
        #expect(binding == ["HostIp": "127.0.0.1", "HostPort": "5000"])
        #expect(hostJSON["Binds"] as? [String] == ["/srv/data:/data:ro"])
        #expect(hostJSON["Tmpfs"] as? [String: String] == ["/run": "size=64m"])
        #expect((hostJSON["RestartPolicy"] as? [String: Any])?["Name"] as? String == "unless-stopped")
        #expect(hostJSON["CapAdd"] as? [String] == ["NET_ADMIN"])
        #expect(hostJSON["ExtraHosts"] as? [String] == ["host.docker.internal:host-gateway"])
        #expect((hostJSON["Ulimits"] as? [[String: Any]])?.first?["Hard"] as? Int == 2048)
        #expect(hostJSON["Memory"] as? Int == 256 << 20)
        #expect(hostJSON["NanoCpus"] as? Int == 500_000_000)
        #expect(((hostJSON["Mounts"] as? [[String: Any]])?.first)?["Target"] as? String == "/prometheus")
        #expect(((hostJSON["Devices"] as? [[String: Any]])?.first)?["PathOnHost"] as? String == "/dev/fuse")
        let endpoints = try #require((json["NetworkingConfig"] as? [String: Any])?["EndpointsConfig"] as? [String: [String: Any]])
        #expect(endpoints["web_default"]?["Aliases"] as? [String] == ["api"])
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var status: Int
        var body: String
        var message: String
        var notFound = false
        var conflict = false
        var testDescription: String { "\(status) \(body)" }
    }

    @Test(
        "a non-2xx answer is .http with the engine's message",
        arguments: [
            ErrorCase(status: 404, body: "{\"message\":\"No such container: nope\"}", message: "No such container: nope", notFound: true),
            ErrorCase(
                status: 409, body: "{\"message\":\"Conflict. The container name \\\"/x\\\" is already in use\"}",
                message: "Conflict. The container name \"/x\" is already in use", conflict: true),
            ErrorCase(
                status: 500, body: "{\"message\":\"driver failed programming external connectivity\"}",
                message: "driver failed programming external connectivity"),
            ErrorCase(status: 502, body: "Bad Gateway\n", message: "Bad Gateway"),
            ErrorCase(status: 500, body: "", message: "no message (HTTP 500)"),
        ])
    func httpErrors(_ errorCase: ErrorCase) async throws {
        let transport = StubTransport { _ in .json(errorCase.body, status: errorCase.status) }
        let error = await #expect(throws: DockerEngine.Error.self) { try await client(transport).inspectContainer("nope") }
        guard case .http(let status, let message)? = error else {
            Issue.record("expected .http, got \(String(describing: error))")
            return
        }
        #expect(status == errorCase.status)
        #expect(message == errorCase.message)
        #expect(error?.isNotFound == errorCase.notFound)
        #expect(error?.isConflict == errorCase.conflict)
    }

    @Test("a non-2xx answer to a streamed request is .http too")
    func streamHTTPError() async throws {
        let transport = StubTransport { _ in .json("{\"message\":\"No such container: gone\"}", status: 404) }
        let error = await #expect(throws: DockerEngine.Error.self) { _ = try await client(transport).logs("gone") }
        #expect(error?.isNotFound == true)
    }

    @Test("a 2xx answer with the wrong shape is .decoding carrying the body")
    func decodingError() async throws {
        let transport = StubTransport { _ in .json("{\"unexpected\": true}") }
        let error = await #expect(throws: DockerEngine.Error.self) { try await client(transport).inspectContainer("x") }
        guard case .decoding(let what, let body)? = error else {
            Issue.record("expected .decoding, got \(String(describing: error))")
            return
        }
        #expect(what.contains("Id"))
        #expect(body.contains("unexpected"))
    }

    @Test("an errorDetail inside a 200 pull stream is .stream after the records before it")
    func pullErrorDetail() async throws {
        let body = Data(
            """
            {"status":"Pulling from library/nope","id":"latest"}
            {"errorDetail":{"message":"pull access denied for nope, repository does not exist"},"error":"pull access denied for nope, repository does not exist"}

            """.utf8)
        let transport = StubTransport { _ in StubTransport.Answer(status: 200, body: body, chunks: chunked(body, size: 13)) }
        let stream = try await client(transport).pullImage("nope")
        var seen: [String] = []
        let error = await #expect(throws: DockerEngine.Error.self) {
            for try await message in stream { seen.append(message.status ?? "") }
        }
        #expect(seen == ["Pulling from library/nope"])
        guard case .stream(let message)? = error else {
            Issue.record("expected .stream, got \(String(describing: error))")
            return
        }
        #expect(message.contains("pull access denied for nope"))
        let request = try #require(transport.apiRequests.first)
        #expect(request.query["fromImage"] == ["nope"])
        #expect(request.query["tag"] == ["latest"])
    }

    @Test(
        "image references split into repository and tag as /images/create wants",
        arguments: [
            ("prom/prometheus:v2.53.0", "prom/prometheus", "v2.53.0"),
            ("busybox", "busybox", "latest"),
            ("localhost:5000/team/app", "localhost:5000/team/app", "latest"),
            ("localhost:5000/team/app:1.2", "localhost:5000/team/app", "1.2"),
            ("alpine@sha256:abcd", "alpine", "sha256:abcd"),
        ])
    func references(_ reference: String, repository: String, tag: String) {
        let parsed = DockerEngine.ImageReference(reference)
        #expect(parsed.repository == repository)
        #expect(parsed.tag == tag)
    }

    @Test("build posts the tar with its query and returns the image ID; errorDetail fails it")
    func build() async throws {
        let ok = Data("{\"stream\":\"Step 1/1 : FROM scratch\\n\"}\n{\"aux\":{\"ID\":\"sha256:feed\"}}\n{\"stream\":\"Successfully built feed\\n\"}\n".utf8)
        let transport = StubTransport { _ in StubTransport.Answer(status: 200, body: ok, chunks: chunked(ok, size: 5)) }
        var tar = DockerEngine.TarWriter()
        try tar.addFile("Dockerfile", text: "FROM scratch\n")
        let context = tar.finish()
        let result = try await client(transport).build(
            context: context,
            options: .init(
                tags: ["sptest/a:1", "sptest/a:latest"], dockerfile: "Dockerfile", buildArgs: ["VERSION": "0.1.0"], target: "final", labels: ["team": "sp"]))
        #expect(result.imageID == "sha256:feed")
        #expect(result.output.contains("Step 1/1"))
        let request = try #require(transport.apiRequests.first)
        #expect(request.pathOnly == "/v1.41/build")
        #expect(request.header("Content-Type") == "application/x-tar")
        #expect(request.body == context)
        #expect(request.query["t"] == ["sptest/a:1", "sptest/a:latest"])
        #expect(request.query["buildargs"] == ["{\"VERSION\":\"0.1.0\"}"])
        #expect(request.query["labels"] == ["{\"team\":\"sp\"}"])
        #expect(request.query["target"] == ["final"])

        let failing = StubTransport { _ in
            .json(
                "{\"stream\":\"Step 1/2\\n\"}\n{\"errorDetail\":{\"code\":1,\"message\":\"COPY failed: file not found\"},\"error\":\"COPY failed: file not found\"}\n"
            )
        }
        let error = await #expect(throws: DockerEngine.Error.self) { _ = try await client(failing).build(context: context, options: .init(tags: ["sptest/b"])) }
        #expect(error?.description.contains("COPY failed") == true)
    }

    @Test("container lifecycle calls use the documented methods, paths and parameters")
    func lifecycleShapes() async throws {
        let transport = StubTransport { request in
            request.pathOnly.hasSuffix("/wait") ? .json("{\"StatusCode\":3}") : StubTransport.Answer(status: 204)
        }
        let client = client(transport)
        try await client.startContainer("c1")
        try await client.stopContainer("c1", timeout: 2)
        try await client.killContainer("c1", signal: "SIGTERM")
        try await client.restartContainer("c1", timeout: 1)
        let waited = try await client.waitContainer("c1", condition: .nextExit)
        try await client.removeContainer("c1", force: true, volumes: true)
        try await client.connectNetwork("n1", container: "c1", endpoint: .init(aliases: ["api"]))
        try await client.disconnectNetwork("n1", container: "c1", force: true)
        try await client.removeNetwork("n1")
        try await client.removeVolume("v1", force: true)
        try await client.tagImage("sha256:feed", as: "sptest/x:2")
        #expect(waited.statusCode == 3)
        let shapes = transport.apiRequests.map { "\($0.method.rawValue) \($0.path)" }
        #expect(
            shapes == [
                "POST /v1.41/containers/c1/start",
                "POST /v1.41/containers/c1/stop?t=2",
                "POST /v1.41/containers/c1/kill?signal=SIGTERM",
                "POST /v1.41/containers/c1/restart?t=1",
                "POST /v1.41/containers/c1/wait?condition=next-exit",
                "DELETE /v1.41/containers/c1?force=1&v=1",
                "POST /v1.41/networks/n1/connect",
                "POST /v1.41/networks/n1/disconnect",
                "DELETE /v1.41/networks/n1",
                "DELETE /v1.41/volumes/v1?force=1",
                "POST /v1.41/images/sha256%3Afeed/tag?repo=sptest%2Fx&tag=2",
            ])
        let connect = try #require(transport.apiRequests[6].bodyJSON)
        #expect(connect["Container"] as? String == "c1")
        #expect((connect["EndpointConfig"] as? [String: Any])?["Aliases"] as? [String] == ["api"])
    }

    @Test("logs are demultiplexed, or passed raw when the engine says raw-stream")
    func logs() async throws {
        let framed = StreamParserTests.frame(1, "out line\n") + StreamParserTests.frame(2, "err line\n")
        let multiplexed = StubTransport { _ in
            StubTransport.Answer(
                status: 200, headers: [(name: "Content-Type", value: "application/vnd.docker.multiplexed-stream")], body: framed,
                chunks: chunked(framed, size: 3))
        }
        let output = try await client(multiplexed).logs("c1", options: .init(timestamps: true, tail: 5)).collect()
        #expect(String(decoding: output.stdout, as: UTF8.self) == "out line\n")
        #expect(String(decoding: output.stderr, as: UTF8.self) == "err line\n")
        let query = try #require(multiplexed.apiRequests.first).query
        #expect(query["tail"] == ["5"])
        #expect(query["timestamps"] == ["1"])

        let raw = StubTransport { _ in
            StubTransport.Answer(status: 200, headers: [(name: "Content-Type", value: "application/vnd.docker.raw-stream")], body: Data("tty output\r\n".utf8))
        }
        let rawOutput = try await client(raw).logs("c1").collect()
        #expect(String(decoding: rawOutput.stdout, as: UTF8.self) == "tty output\r\n")
    }

    @Test("without a content type, logs ask inspect whether the container has a TTY")
    func logsOldEngine() async throws {
        let transport = StubTransport { request in
            if request.pathOnly.hasSuffix("/json") { return .json("{\"Id\":\"c1\",\"Config\":{\"Tty\":true}}") }
            return StubTransport.Answer(status: 200, body: Data("\u{1}raw bytes".utf8))
        }
        let output = try await client(transport).logs("c1").collect()
        #expect(String(decoding: output.stdout, as: UTF8.self) == "\u{1}raw bytes")
    }

    @Test("a dead socket is .transport naming the socket and how to start an engine")
    func deadSocket() async throws {
        let client = DockerEngine.Client(endpoint: endpoint, transport: DeadTransport())
        let error = await #expect(throws: DockerEngine.Error.self) { try await client.version() }
        #expect(error?.isTransport == true)
        let text = error?.description ?? ""
        #expect(text.contains("unix:///tmp/sptest-none.sock"))
        #expect(text.contains("sudo dockerd"))
        #expect(!text.contains("\n"))
    }

    @Test("events stream decodes records split across chunks, with filters and since")
    func events() async throws {
        let body = Data(
            "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"c1\",\"Attributes\":{\"name\":\"web\"}},\"time\":1700000000}\n{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":\"c1\",\"Attributes\":{\"exitCode\":\"0\"}},\"time\":1700000001}\n"
                .utf8)
        let transport = StubTransport { _ in StubTransport.Answer(status: 200, body: body, chunks: chunked(body, size: 17)) }
        let events = try await client(transport).events(
            filters: .init().type("container").label("sptest=1"), since: Date(timeIntervalSince1970: 1_700_000_000.5)
        ).collect()
        #expect(events.map(\.action) == ["start", "die"])
        #expect(events[1].actor?.attributes?["exitCode"] == "0")
        let query = try #require(transport.apiRequests.first).query
        #expect(query["since"] == ["1700000000.500000000"])
        #expect(query["filters"]?.first?.contains("\"type\":[\"container\"]") == true)
    }

    @Test("volumes and networks decode the engine's shapes")
    func listShapes() async throws {
        let transport = StubTransport { request in
            switch request.pathOnly {
            case "/v1.41/volumes":
                return .json(
                    "{\"Volumes\":[{\"Name\":\"v1\",\"Driver\":\"local\",\"Mountpoint\":\"/var/lib/docker/volumes/v1/_data\",\"Labels\":null,\"Scope\":\"local\"}],\"Warnings\":null}"
                )
            case "/v1.41/networks":
                return .json(
                    "[{\"Name\":\"bridge\",\"Id\":\"n1\",\"Driver\":\"bridge\",\"IPAM\":{\"Driver\":\"default\",\"Config\":[{\"Subnet\":\"172.17.0.0/16\"}]},\"Labels\":{}}]"
                )
            default: return .json("{}", status: 404)
            }
        }
        let client = client(transport)
        let volumes = try await client.listVolumes(filters: .init().label("sptest"))
        #expect(volumes.map(\.name) == ["v1"])
        let networks = try await client.listNetworks()
        #expect(networks.first?.ipam?.config?.first?.subnet == "172.17.0.0/16")
    }
}
