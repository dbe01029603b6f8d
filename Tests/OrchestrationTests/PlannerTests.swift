import DockerEngine
import Testing

@testable import Orchestration

@Suite("Orchestration.Planner")
struct PlannerTests {
    typealias O = Orchestration

    static func service(
        _ name: String, image: String = "img/\("x"):1", env: String = "A=1", deps: [O.Dependency] = [], replicas: Int = 1, pull: O.PullPolicy = .missing,
        build: O.BuildSpec? = nil, health: Bool = false
    ) -> O.DesiredService {
        let fields = ["image": String(image.hashValue & 0xffff, radix: 16), "environment": env]
        let hash = fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
        return O.DesiredService(
            name: name, image: image, configHash: hash, fieldHashes: fields, dependencies: deps, replicas: replicas, pullPolicy: pull, build: build,
            hasHealthcheck: health)
    }

    static func project(_ services: [O.DesiredService], networks: [O.DesiredNetwork]? = nil, volumes: [O.DesiredVolume] = []) -> O.DesiredProject {
        O.DesiredProject(
            name: "sp", workingDirectory: "/w", configFiles: ["/w/c.yml"], services: services,
            networks: networks ?? [O.DesiredNetwork(key: "default", name: "sp_default")], volumes: volumes)
    }

    /// What the engine would hold after the project was brought up as described.
    static func converged(_ p: O.DesiredProject, imageID: String = "sha256:aaa") -> O.ObservedState {
        var containers: [DockerEngine.ContainerSummary] = []
        for s in p.services {
            for n in 1...s.replicas {
                let name = O.Naming.containerName(project: p.name, service: s.name, number: n)
                containers.append(
                    DockerEngine.ContainerSummary(
                        id: "\(s.name)-\(n)", names: ["/" + name], imageID: imageID, labels: p.containerLabels(service: s, number: n), state: .running))
            }
        }
        return O.ObservedState(
            containers: containers, networks: p.networks.map { DockerEngine.Network(id: $0.name, name: $0.name) },
            volumes: p.volumes.map { DockerEngine.Volume(name: $0.name) },
            images: Dictionary(p.services.map { ($0.image, imageID) }, uniquingKeysWith: { a, _ in a }))
    }

    static let three = project([
        service("db", health: true),
        service("api", deps: [.init(service: "db", condition: .serviceHealthy)]),
        service("web", deps: [.init(service: "api")]),
    ])

    @Test("a fresh project plans pulls, the network and every container, each with a reason")
    func freshProject() throws {
        let plan = try O.Planner.plan(Self.three, observed: O.ObservedState())
        #expect(plan.actions(.createNetwork).map(\.target) == ["sp_default"])
        #expect(plan.actions(.pullImage).count == 1, "one pull per distinct image")
        #expect(plan.actions(.createContainer).map(\.target) == ["sp-db-1", "sp-api-1", "sp-web-1"])
        #expect(plan.actions.allSatisfy { !$0.reason.isEmpty })
        #expect(!plan.isUpToDate)
        #expect(plan.problems.isEmpty)
    }

    @Test("an unchanged, running project is up to date: no write at all")
    func upToDate() throws {
        let plan = try O.Planner.plan(Self.three, observed: Self.converged(Self.three))
        #expect(plan.isUpToDate)
        #expect(plan.actions.count == 3)
        #expect(plan.actions.allSatisfy { $0.kind == .upToDate })
    }

    @Test("changing one service's environment recreates only that service and names the field")
    func recreateOnlyChanged() throws {
        let observed = Self.converged(Self.three)
        var changed = Self.three
        changed.services[1] = Self.service("api", env: "A=2", deps: [.init(service: "db", condition: .serviceHealthy)])
        let plan = try O.Planner.plan(changed, observed: observed)
        let recreates = plan.actions(.recreateContainer)
        #expect(recreates.map(\.target) == ["sp-api-1"])
        #expect(recreates.first?.changedFields == ["environment"])
        #expect(recreates.first?.reason.contains("environment") == true)
        #expect(plan.actions(for: "db").map(\.kind) == [.upToDate])
        #expect(plan.actions(for: "web").map(\.kind) == [.upToDate])
    }

    @Test("restart: true restarts a dependent whose dependency was recreated")
    func restartPropagates() throws {
        var p = Self.three
        p.services[2] = Self.service("web", deps: [.init(service: "api", restart: true)])
        let observed = Self.converged(p)
        p.services[1] = Self.service("api", env: "A=3", deps: [.init(service: "db", condition: .serviceHealthy)])
        let plan = try O.Planner.plan(p, observed: observed)
        #expect(plan.actions(for: "web").map(\.kind) == [.restartContainer])
        #expect(plan.actions(for: "web").first?.reason.contains("api") == true)
    }

    @Test("a stopped container is started, a container made by another tool is recreated without field names")
    func stoppedAndForeign() throws {
        var observed = Self.converged(Self.three)
        observed.containers[0].state = .exited
        observed.containers[1].labels?.removeValue(forKey: DockerEngine.ComposeLabels.fieldHashes)
        observed.containers[1].labels?[DockerEngine.ComposeLabels.configHash] = "from-docker-compose"
        let plan = try O.Planner.plan(Self.three, observed: observed)
        #expect(plan.actions(for: "db").map(\.kind) == [.startContainer])
        let api = try #require(plan.actions(for: "api").first)
        #expect(api.kind == .recreateContainer)
        #expect(api.changedFields.isEmpty)
        #expect(api.reason.contains("fields unknown"))
    }

    @Test("a newer local image recreates the container and says so")
    func imageChanged() throws {
        var observed = Self.converged(Self.three)
        observed.images = observed.images.mapValues { _ in "sha256:bbbbbbbbbbbbbbbb" }
        let plan = try O.Planner.plan(Self.three, observed: observed)
        #expect(plan.actions(.recreateContainer).count == 3)
        #expect(plan.actions(.recreateContainer).allSatisfy { $0.changedFields == ["image"] })
    }

    @Test("orphans are reported, and removed only with --remove-orphans")
    func orphans() throws {
        var observed = Self.converged(Self.three)
        observed.containers.append(
            DockerEngine.ContainerSummary(
                id: "old", names: ["/sp-legacy-1"],
                labels: [
                    DockerEngine.ComposeLabels.project: "sp", DockerEngine.ComposeLabels.service: "legacy", DockerEngine.ComposeLabels.containerNumber: "1",
                ], state: .running))
        let keep = try O.Planner.plan(Self.three, observed: observed)
        #expect(keep.isUpToDate)
        #expect(keep.warnings.contains { $0.contains("sp-legacy-1") && $0.contains("--remove-orphans") })
        let remove = try O.Planner.plan(Self.three, observed: observed, options: .init(removeOrphans: true))
        #expect(remove.actions(.removeOrphan).map(\.containerID) == ["old"])
    }

    @Test("scaling down removes the highest-numbered containers, scaling up creates the missing ones")
    func scale() throws {
        let two = Self.project([Self.service("w", replicas: 3)])
        let observed = Self.converged(two)
        let down = try O.Planner.plan(Self.project([Self.service("w", replicas: 1)]), observed: observed)
        #expect(down.actions(.removeContainer).map(\.target).sorted() == ["sp-w-2", "sp-w-3"])
        let up = try O.Planner.plan(Self.project([Self.service("w", replicas: 4)]), observed: observed)
        #expect(up.actions(.createContainer).map(\.target) == ["sp-w-4"])
    }

    struct PullCase: Sendable, CustomTestStringConvertible {
        var policy: O.PullPolicy
        var present: Bool
        var hasBuild: Bool
        var expected: O.PlannedAction.Kind?
        var problem: Bool
        var testDescription: String { "\(policy) present=\(present) build=\(hasBuild)" }
    }

    @Test(
        "pull policy decides between pull, build, nothing and a problem",
        arguments: [
            PullCase(policy: .missing, present: true, hasBuild: false, expected: nil, problem: false),
            PullCase(policy: .missing, present: false, hasBuild: false, expected: .pullImage, problem: false),
            PullCase(policy: .always, present: true, hasBuild: false, expected: .pullImage, problem: false),
            PullCase(policy: .never, present: false, hasBuild: false, expected: nil, problem: true),
            PullCase(policy: .never, present: true, hasBuild: false, expected: nil, problem: false),
            PullCase(policy: .build, present: true, hasBuild: true, expected: .buildImage, problem: false),
            PullCase(policy: .missing, present: false, hasBuild: true, expected: .buildImage, problem: false),
            PullCase(policy: .missing, present: true, hasBuild: true, expected: nil, problem: false),
        ])
    func pullPolicy(_ c: PullCase) throws {
        let s = Self.service("one", pull: c.policy, build: c.hasBuild ? O.BuildSpec(context: "/w/ctx") : nil)
        let p = Self.project([s])
        var observed = Self.converged(p)
        if !c.present { observed.images = [:] }
        let plan = try O.Planner.plan(p, observed: observed)
        let imageActions = plan.actions.filter { $0.kind == .pullImage || $0.kind == .buildImage }
        #expect(imageActions.map(\.kind) == (c.expected.map { [$0] } ?? []))
        #expect(plan.problems.isEmpty == !c.problem)
    }

    @Test("a missing external network is a problem, found before anything runs")
    func externalNetwork() throws {
        let p = Self.project([Self.service("one")], networks: [O.DesiredNetwork(key: "shared", name: "corp", external: true)])
        let plan = try O.Planner.plan(p, observed: O.ObservedState())
        #expect(plan.problems.contains { $0.contains("corp") && $0.contains("external") })
        #expect(plan.actions(.createNetwork).isEmpty)
    }

    @Test("asking for an unknown service throws; a subset brings its dependencies along")
    func subsets() throws {
        #expect(throws: OrchestrationError.unknownService("nope", project: "sp")) {
            try O.Planner.plan(Self.three, observed: O.ObservedState(), options: .init(services: ["nope"]))
        }
        let plan = try O.Planner.plan(Self.three, observed: O.ObservedState(), options: .init(services: ["api"]))
        #expect(Set(plan.actions(.createContainer).compactMap(\.service)) == ["db", "api"])
        let noDeps = try O.Planner.plan(Self.three, observed: O.ObservedState(), options: .init(services: ["api"], noDeps: true))
        #expect(noDeps.actions(.createContainer).compactMap(\.service) == ["api"])
    }

    @Test("a required dependency missing from the project is a problem; an optional one a warning")
    func missingDependency() throws {
        let p = Self.project([Self.service("a", deps: [.init(service: "ghost")]), Self.service("b", deps: [.init(service: "spirit", required: false)])])
        let plan = try O.Planner.plan(p, observed: O.ObservedState())
        #expect(plan.problems.count == 1)
        #expect(plan.problems[0].contains("ghost"))
        #expect(plan.warnings.contains { $0.contains("spirit") })
    }
}
