import DockerEngine
import Foundation
import Orchestration
import Testing

@testable import StackPilotCommands

@Suite("ps --format json speaks docker compose v2's field names")
struct PsJSONTests {
    struct PortCase: Sendable, CustomTestStringConvertible {
        var engine: String
        var url: String
        var published: Int
        var target: Int
        var proto: String
        var testDescription: String { engine }
    }

    @Test(
        "engine port strings become compose's publishers",
        arguments: [
            PortCase(engine: "127.0.0.1:9090->9090/tcp", url: "127.0.0.1", published: 9090, target: 9090, proto: "tcp"),
            PortCase(engine: "0.0.0.0:5001->5000/udp", url: "0.0.0.0", published: 5001, target: 5000, proto: "udp"),
            PortCase(engine: ":::3000->3000/tcp", url: "::", published: 3000, target: 3000, proto: "tcp"),
            PortCase(engine: "5000/tcp", url: "", published: 0, target: 5000, proto: "tcp"),
            PortCase(engine: "8080", url: "", published: 0, target: 8080, proto: "tcp"),
        ])
    func publisher(_ c: PortCase) {
        let p = PsRow.publisher(c.engine)
        #expect(p == PsRow.Publisher(URL: c.url, TargetPort: c.target, PublishedPort: c.published, Protocol: c.proto))
    }

    @Test("a row encodes compose's keys and values")
    func keys() throws {
        let details = DockerEngine.ContainerInspect(
            id: "abc123", name: "/stackpilot-app-api-1", state: .init(status: .exited, exitCode: 137, startedAt: "2026-12-02T10:00:00.123456789Z"),
            restartCount: 2, config: .init(labels: [DockerEngine.ComposeLabels.service: "api"]),
            networkSettings: .init(ports: ["5000/tcp": [.init(hostIP: "127.0.0.1", hostPort: "5000")]]))
        let row = PsRow(Orchestration.ServiceContainer(project: "stackpilot-app", service: "api", number: 1, details: details), now: Date())
        let data = try JSONEncoder().encode(row)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let composeKeys: Set<String> = ["ID", "Name", "Names", "Project", "Service", "State", "Health", "ExitCode", "Publishers", "Labels"]
        #expect(composeKeys.isSubset(of: Set(object.keys)))
        #expect(object["ID"] as? String == "abc123")
        #expect(object["Name"] as? String == "stackpilot-app-api-1")
        #expect(object["Service"] as? String == "api")
        #expect(object["State"] as? String == "exited")
        #expect(object["ExitCode"] as? Int == 137)
        #expect(object["RestartCount"] as? Int == 2)
        let publishers = try #require(object["Publishers"] as? [[String: Any]])
        #expect(publishers.first?["PublishedPort"] as? Int == 5000)
        #expect(publishers.first?["URL"] as? String == "127.0.0.1")
        #expect(object["UptimeSeconds"] == nil, "an exited container has no uptime")
    }
}
