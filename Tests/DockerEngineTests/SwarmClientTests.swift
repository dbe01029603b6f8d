import Foundation
import HTTPTransport
import TestSupport
import Testing

@testable import DockerEngine

@Suite("DockerEngine.Client swarm endpoints")
struct SwarmClientTests {
    let endpoint = HTTPEndpoint(address: .unixSocket(path: "/tmp/sptest-none.sock"))

    func client(_ transport: RecordingTransport) -> DockerEngine.Client {
        DockerEngine.Client(endpoint: endpoint, transport: transport)
    }

    struct Call: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPMethod
        var path: String
        var query: [String: [String]] = [:]
        var answer: String = "{}"
        var status: Int = 200
        var run: @Sendable (DockerEngine.Client) async throws -> Void
        var testDescription: String { name }
    }

    static let filters = DockerEngine.Filters().label("com.docker.stack.namespace=web")
    static let filtersJSON = #"{"label":["com.docker.stack.namespace=web"]}"#

    static let calls: [Call] = [
        Call(name: "inspectSwarm", method: .get, path: "/v1.41/swarm", answer: SwarmSamples.swarm) { _ = try await $0.inspectSwarm() },
        Call(name: "initSwarm", method: .post, path: "/v1.41/swarm/init", answer: "\"7v2t30z9blmxuhnyo6s4cpenp\"") { client async throws in
            #expect(try await client.initSwarm(.init(advertiseAddr: "172.30.213.11")) == "7v2t30z9blmxuhnyo6s4cpenp")
        },
        Call(name: "joinSwarm", method: .post, path: "/v1.41/swarm/join", answer: "") {
            try await $0.joinSwarm(.init(remoteAddrs: ["172.30.213.11:2377"], joinToken: "SWMTKN-1-x"))
        },
        Call(name: "leaveSwarm", method: .post, path: "/v1.41/swarm/leave", query: ["force": ["1"]], answer: "") { try await $0.leaveSwarm(force: true) },
        Call(name: "listNodes", method: .get, path: "/v1.41/nodes", query: ["filters": [filtersJSON]], answer: "[\(SwarmSamples.node)]") {
            client async throws in
            #expect(try await client.listNodes(filters: filters).first?.spec?.role == .manager)
        },
        Call(name: "inspectNode", method: .get, path: "/v1.41/nodes/node-2", answer: SwarmSamples.node) { _ = try await $0.inspectNode("node-2") },
        Call(name: "updateNode", method: .post, path: "/v1.41/nodes/n1/update", query: ["version": ["8"]], answer: "") {
            try await $0.updateNode("n1", version: 8, spec: .init(role: .worker, availability: .drain))
        },
        Call(name: "removeNode", method: .delete, path: "/v1.41/nodes/n1", query: ["force": ["1"]], answer: "") { try await $0.removeNode("n1", force: true) },
        Call(
            name: "listServices", method: .get, path: "/v1.41/services", query: ["filters": [filtersJSON], "status": ["true"]],
            answer: "[\(SwarmSamples.service)]"
        ) { client async throws in
            #expect(try await client.listServices(filters: filters).first?.serviceStatus?.desiredTasks == 3)
        },
        Call(name: "inspectService", method: .get, path: "/v1.41/services/web_api", answer: SwarmSamples.service) {
            _ = try await $0.inspectService("web_api")
        },
        Call(name: "createService", method: .post, path: "/v1.41/services/create", answer: #"{"ID":"ak7w3gjqoa3kuz8xcpnyy0pvl"}"#, status: 201) {
            client async throws in
            #expect(try await client.createService(.init(name: "web_api")).id == "ak7w3gjqoa3kuz8xcpnyy0pvl")
        },
        Call(name: "updateService", method: .post, path: "/v1.41/services/web_api/update", query: ["version": ["19"]], answer: #"{"Warnings":null}"#) {
            try await $0.updateService("web_api", version: 19, spec: .init(name: "web_api"))
        },
        Call(
            name: "rollbackService", method: .post, path: "/v1.41/services/web_api/update", query: ["version": ["19"], "rollback": ["previous"]], answer: "{}"
        ) {
            try await $0.updateService("web_api", version: 19, spec: .init(name: "web_api"), rollback: true)
        },
        Call(name: "removeService", method: .delete, path: "/v1.41/services/web_api", answer: "") { try await $0.removeService("web_api") },
        Call(
            name: "listTasks", method: .get, path: "/v1.41/tasks", query: ["filters": [#"{"desired-state":["running"],"service":["web_api"]}"#]],
            answer: "[\(SwarmSamples.task)]"
        ) { client async throws in
            #expect(try await client.listTasks(filters: .init().adding("service", "web_api").adding("desired-state", "running")).first?.slot == 1)
        },
        Call(name: "inspectTask", method: .get, path: "/v1.41/tasks/t1", answer: SwarmSamples.task) { _ = try await $0.inspectTask("t1") },
        Call(name: "listConfigs", method: .get, path: "/v1.41/configs", query: ["filters": [filtersJSON]], answer: "[\(SwarmSamples.config)]") {
            _ = try await $0.listConfigs(filters: filters)
        },
        Call(name: "inspectConfig", method: .get, path: "/v1.41/configs/server.conf", answer: SwarmSamples.config) {
            _ = try await $0.inspectConfig("server.conf")
        },
        Call(name: "createConfig", method: .post, path: "/v1.41/configs/create", answer: #"{"ID":"c1"}"#, status: 201) { client async throws in
            #expect(try await client.createConfig(.init(name: "server.conf", data: Data("x".utf8))).id == "c1")
        },
        Call(name: "removeConfig", method: .delete, path: "/v1.41/configs/c1", answer: "") { try await $0.removeConfig("c1") },
        Call(name: "listSecrets", method: .get, path: "/v1.41/secrets", query: ["filters": [filtersJSON]], answer: "[\(SwarmSamples.secret)]") {
            _ = try await $0.listSecrets(filters: filters)
        },
        Call(name: "inspectSecret", method: .get, path: "/v1.41/secrets/s1", answer: SwarmSamples.secret) { _ = try await $0.inspectSecret("s1") },
        Call(name: "createSecret", method: .post, path: "/v1.41/secrets/create", answer: #"{"ID":"s1"}"#, status: 201) { client async throws in
            #expect(try await client.createSecret(.init(name: "db-password", data: Data("hunter2".utf8))).id == "s1")
        },
        Call(name: "removeSecret", method: .delete, path: "/v1.41/secrets/s1", answer: "") { try await $0.removeSecret("s1") },
        Call(
            name: "tagImage", method: .post, path: "/v1.41/images/stackpilot-test%2Fbusybox/tag",
            query: ["repo": ["172.30.213.2:5000/stackpilot-test/busybox"], "tag": ["lab"]], answer: "", status: 201
        ) {
            try await $0.tagImage("stackpilot-test/busybox", as: "172.30.213.2:5000/stackpilot-test/busybox:lab")
        },
    ]

    @Test("each swarm call maps to its method, path and query, and decodes the answer", arguments: calls)
    func mapping(call: Call) async throws {
        let transport = RecordingTransport { _ in .json(call.answer, status: call.status) }
        try await call.run(client(transport))
        let request = try #require(transport.apiRequests.first)
        #expect(request.method == call.method)
        #expect(request.pathOnly == call.path)
        #expect(request.query == call.query)
    }

    @Test("create sends the spec with the engine's keys and X-Registry-Auth only when given")
    func createBody() async throws {
        let transport = RecordingTransport { _ in .json(#"{"ID":"s1"}"#, status: 201) }
        var container = DockerEngine.ContainerSpec(image: "172.30.213.2:5000/app:1", args: ["--port", "5000"])
        container.healthcheck = DockerEngine.HealthConfig(test: ["CMD", "true"], interval: .seconds(5))
        let spec = DockerEngine.ServiceSpec(
            name: "web_api", labels: ["com.docker.stack.namespace": "web"],
            taskTemplate: .init(containerSpec: container, restartPolicy: .init(condition: .onFailure), placement: .init(constraints: ["node.role==worker"])),
            mode: .replicated(3), endpointSpec: .init(mode: .dnsrr))
        _ = try await client(transport).createService(spec, registryAuth: "eyJ1c2VybmFtZSI6ImEifQ==")
        _ = try await client(transport).createService(spec)
        let (first, second) = (transport.apiRequests[0], transport.apiRequests[1])
        #expect(first.header("X-Registry-Auth") == "eyJ1c2VybmFtZSI6ImEifQ==")
        #expect(second.header("X-Registry-Auth") == nil)
        #expect(first.header("Content-Type") == "application/json")
        let body = try #require(first.bodyJSON)
        let task = try #require(body["TaskTemplate"] as? [String: Any])
        let containerBody = try #require(task["ContainerSpec"] as? [String: Any])
        #expect(containerBody["Image"] as? String == "172.30.213.2:5000/app:1")
        #expect((containerBody["Healthcheck"] as? [String: Any])?["Interval"] as? Int == 5_000_000_000)
        #expect((task["RestartPolicy"] as? [String: Any])?["Condition"] as? String == "on-failure")
        #expect(((body["Mode"] as? [String: Any])?["Replicated"] as? [String: Any])?["Replicas"] as? Int == 3)
        #expect((body["EndpointSpec"] as? [String: Any])?["Mode"] as? String == "dnsrr")
        #expect(try JSONDecoder().decode(DockerEngine.ServiceSpec.self, from: try #require(first.body)) == spec)
    }

    @Test("a stale version index is reported as 409 with the current version, after re-reading it", arguments: [500, 409])
    func staleVersion(status: Int) async throws {
        let transport = RecordingTransport { request in
            if request.method == .post { return .json(#"{"message":"rpc error: code = Unknown desc = update out of sequence"}"#, status: status) }
            return .json(SwarmSamples.service)  // at version 19
        }
        let error = await #expect(throws: DockerEngine.Error.self) { try await client(transport).updateService("web_api", version: 12, spec: .init()) }
        #expect(error?.status == 409)
        #expect(error?.isConflict == true)
        guard case .http(_, let message)? = error else { return }
        #expect(message.contains("version 19, not 12"))
    }

    @Test("a refused update whose version still holds keeps the engine's status")
    func refusedUpdate() async throws {
        let transport = RecordingTransport { request in
            if request.method == .post { return .json(#"{"message":"invalid mount config"}"#, status: 400) }
            return .json(SwarmSamples.service)
        }
        let error = await #expect(throws: DockerEngine.Error.self) { try await client(transport).updateService("web_api", version: 19, spec: .init()) }
        #expect(error?.status == 400)
    }

    @Test("a stale node version is reported as 409 too")
    func staleNode() async throws {
        let transport = RecordingTransport { request in
            request.method == .post ? .json(#"{"message":"update out of sequence"}"#, status: 500) : .json(SwarmSamples.node)  // at version 8
        }
        let error = await #expect(throws: DockerEngine.Error.self) {
            try await client(transport).updateNode("n1", version: 3, spec: .init(availability: .drain))
        }
        #expect(error?.status == 409)
    }

    @Test("an engine in no swarm answers 503, kept as .http")
    func notInSwarm() async throws {
        let transport = RecordingTransport { _ in
            .json(
                #"{"message":"This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again."}"#,
                status: 503)
        }
        let error = await #expect(throws: DockerEngine.Error.self) { try await client(transport).listServices() }
        #expect(error?.status == 503)
    }

    @Test("service logs are demultiplexed; without a content type the service's TTY decides")
    func serviceLogs() async throws {
        let framed = StreamParserTests.frame(1, "web_api.1.x@node-2 | out\n") + StreamParserTests.frame(2, "err\n")
        let multiplexed = RecordingTransport { request in
            if !request.pathOnly.hasSuffix("/logs") { return .json(#"{"ID":"s","Spec":{"TaskTemplate":{"ContainerSpec":{"TTY":false}}}}"#) }
            return RecordingTransport.Answer(status: 200, body: framed, chunks: chunked(framed, size: 5))
        }
        let output = try await client(multiplexed).serviceLogs("web_api", options: .init(tail: 10)).collect()
        #expect(String(decoding: output.stdout, as: UTF8.self) == "web_api.1.x@node-2 | out\n")
        #expect(String(decoding: output.stderr, as: UTF8.self) == "err\n")
        let logsRequest = try #require(multiplexed.apiRequests.first)
        #expect(logsRequest.pathOnly == "/v1.41/services/web_api/logs")
        #expect(logsRequest.query["tail"] == ["10"])
        #expect(multiplexed.apiRequests.map(\.pathOnly) == ["/v1.41/services/web_api/logs", "/v1.41/services/web_api"])

        let tty = RecordingTransport { request in
            if request.pathOnly.hasSuffix("/logs") { return RecordingTransport.Answer(status: 200, body: Data("\u{1}raw".utf8)) }
            return .json(#"{"ID":"s","Spec":{"TaskTemplate":{"ContainerSpec":{"TTY":true}}}}"#)
        }
        #expect(String(decoding: try await client(tty).serviceLogs("s").collect().stdout, as: UTF8.self) == "\u{1}raw")
    }

    @Test("push sends the repository, tag and an X-Registry-Auth, and returns the digest")
    func push() async throws {
        let stream = """
            {"status":"The push refers to repository [172.30.213.2:5000/stackpilot-test/busybox]"}
            {"status":"Pushed","progressDetail":{},"id":"9e0a0509c89f"}
            {"status":"lab: digest: sha256:29c24887 size: 528"}
            {"progressDetail":{},"aux":{"Tag":"lab","Digest":"sha256:29c24887","Size":528}}

            """
        let transport = RecordingTransport { _ in RecordingTransport.Answer(status: 200, body: Data(stream.utf8), chunks: chunked(Data(stream.utf8), size: 7)) }
        let digest = try await client(transport).push("172.30.213.2:5000/stackpilot-test/busybox:lab")
        #expect(digest == "sha256:29c24887")
        let request = try #require(transport.apiRequests.first)
        #expect(request.method == .post)
        #expect(request.pathOnly == "/v1.41/images/172.30.213.2%3A5000%2Fstackpilot-test%2Fbusybox/push")
        #expect(request.query == ["tag": ["lab"]])
        #expect(request.header("X-Registry-Auth") == "e30=")
    }

    @Test("an error record in a 200 push stream throws .stream naming the image")
    func pushError() async throws {
        let stream = """
            {"status":"The push refers to repository [172.30.213.2:5000/app]"}
            {"errorDetail":{"message":"Get \\"https://172.30.213.2:5000/v2/\\": x509: certificate signed by unknown authority"},"error":"x509"}

            """
        let transport = RecordingTransport { _ in RecordingTransport.Answer(status: 200, body: Data(stream.utf8)) }
        let error = await #expect(throws: DockerEngine.Error.self) { try await client(transport).push("172.30.213.2:5000/app:1", registryAuth: "abc") }
        guard case .stream(let message)? = error else {
            Issue.record("expected .stream, got \(String(describing: error))")
            return
        }
        #expect(message.hasPrefix("172.30.213.2:5000/app:1: "))
        #expect(transport.apiRequests.first?.header("X-Registry-Auth") == "abc")
    }
}
