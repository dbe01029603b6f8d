import DockerEngine
import Testing

@testable import Orchestration

@Suite("Orchestration.Naming and Labels")
struct NamingTests {
    struct NameCase: Sendable, CustomTestStringConvertible {
        var project: String, service: String, number: Int, explicit: String?, expected: String
        var testDescription: String { expected }
    }

    @Test(
        "container names follow compose's <project>-<service>-<n> unless container_name is set",
        arguments: [
            NameCase(project: "monitoring", service: "prometheus", number: 1, explicit: nil, expected: "monitoring-prometheus-1"),
            NameCase(project: "app", service: "model-api", number: 3, explicit: nil, expected: "app-model-api-3"),
            NameCase(project: "app", service: "api", number: 1, explicit: "my-api", expected: "my-api"),
            NameCase(project: "app", service: "api", number: 1, explicit: "", expected: "app-api-1"),
        ])
    func containerName(_ c: NameCase) {
        #expect(Orchestration.Naming.containerName(project: c.project, service: c.service, number: c.number, explicit: c.explicit) == c.expected)
    }

    @Test("networks and volumes are <project>_<key> unless named explicitly")
    func networkAndVolumeNames() {
        #expect(Orchestration.Naming.networkName(project: "monitoring", network: "default") == "monitoring_default")
        #expect(Orchestration.Naming.networkName(project: "monitoring", network: "default", explicit: "shared") == "shared")
        #expect(Orchestration.Naming.volumeName(project: "monitoring", volume: "prom_data") == "monitoring_prom_data")
    }

    @Test(
        "project names are normalised as compose does",
        arguments: [
            ("My Project", "myproject"), ("_-abc.DEF", "abcdef"), ("stack_1-x", "stack_1-x"),
        ])
    func normalise(_ raw: String, _ expected: String) {
        #expect(Orchestration.Naming.normaliseProjectName(raw) == expected)
    }

    @Test("containers carry every compose label plus the user's own")
    func labels() {
        var spec = DockerEngine.ContainerConfig()
        spec.labels = ["team": "ml"]
        let service = Orchestration.DesiredService(
            name: "api", image: "img:1", configHash: "abc", fieldHashes: ["image": "1", "environment": "2"],
            dependencies: [.init(service: "db", condition: .serviceHealthy)], container: spec)
        let project = Orchestration.DesiredProject(
            name: "app", workingDirectory: "/srv/app", configFiles: ["/srv/app/a.yml", "/srv/app/b.yml"], services: [service])
        let labels = project.containerLabels(service: service, number: 2)
        #expect(labels["team"] == "ml")
        #expect(labels[DockerEngine.ComposeLabels.project] == "app")
        #expect(labels[DockerEngine.ComposeLabels.service] == "api")
        #expect(labels[DockerEngine.ComposeLabels.containerNumber] == "2")
        #expect(labels[DockerEngine.ComposeLabels.oneoff] == "False")
        #expect(labels[DockerEngine.ComposeLabels.configHash] == "abc")
        #expect(labels[DockerEngine.ComposeLabels.configFiles] == "/srv/app/a.yml,/srv/app/b.yml")
        #expect(labels[DockerEngine.ComposeLabels.workingDir] == "/srv/app")
        #expect(labels[DockerEngine.ComposeLabels.version] != nil)
        #expect(labels[DockerEngine.ComposeLabels.dependsOn] == "db:service_healthy:false")
        // Field hashes round-trip through the label.
        let observed = DockerEngine.ContainerSummary(id: "x", names: ["/app-api-2"], labels: labels, state: .running)
        #expect(observed.fieldHashes == ["image": "1", "environment": "2"])
        #expect(observed.containerNumber == 2)
        #expect(!observed.isOneOff)
    }
}
