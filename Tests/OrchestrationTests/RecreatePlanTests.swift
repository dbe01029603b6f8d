import DockerEngine
import Testing

@testable import Orchestration

/// What the planner makes of the states an interrupted or failed recreate can leave behind
/// (a container parked as `<id12>_<name>`, a container missing one of its networks).
@Suite("Orchestration.Planner after interrupted recreates")
struct RecreatePlanTests {
    typealias O = Orchestration

    static let api = "sp-api-1"
    static let project = PlannerTests.three

    /// `api`'s container as another ID, parked the way a recreate parks it.
    static func parked(_ id: String, state: DockerEngine.ContainerState, created: Int64 = 1) -> DockerEngine.ContainerSummary {
        var c = PlannerTests.converged(project).containers[1]
        c.id = id
        c.names = ["/" + O.Naming.parkedName(id: id, name: api)]
        c.state = state
        c.created = created
        return c
    }

    struct Case: Sendable, CustomStringConvertible {
        var description: String
        /// Keep api's own container (under its name)?
        var keepCurrent: Bool
        var parked: [DockerEngine.ContainerSummary]
        /// api's actions, as (kind, container ID).
        var expected: [(O.PlannedAction.Kind, String)]
    }

    @Test(
        "parked containers are removed beside the current one, or recreated when they are all there is",
        arguments: [
            Case(
                description: "a stopped parked container beside the current one", keepCurrent: true,
                parked: [parked("0123456789abcdef", state: .exited)],
                expected: [(.removeContainer, "0123456789abcdef"), (.upToDate, "api-1")]),
            Case(
                description: "only the parked one (the engine died between rename and create)", keepCurrent: false,
                parked: [parked("0123456789abcdef", state: .running)],
                expected: [(.recreateContainer, "0123456789abcdef")]),
            Case(
                description: "two parked ones: the newest is recreated, the other removed", keepCurrent: false,
                parked: [parked("aaaaaaaaaaaaaaaa", state: .exited, created: 1), parked("bbbbbbbbbbbbbbbb", state: .running, created: 2)],
                expected: [(.removeContainer, "aaaaaaaaaaaaaaaa"), (.recreateContainer, "bbbbbbbbbbbbbbbb")]),
        ])
    func parkedContainers(_ c: Case) throws {
        var observed = PlannerTests.converged(Self.project)
        if !c.keepCurrent { observed.containers.remove(at: 1) }
        observed.containers += c.parked
        let plan = try O.Planner.plan(Self.project, observed: observed)
        let actions = plan.actions(for: "api")
        #expect(actions.map(\.kind) == c.expected.map(\.0))
        #expect(actions.map(\.containerID) == c.expected.map { Optional($0.1) })
        #expect(plan.actions(for: "db").map(\.kind) == [.upToDate])
        #expect(plan.warnings.isEmpty, "a parked container is not an orphan")
    }

    @Test("a container named another way (docker-compose 1.x's project_service_1) is not taken for a parked one")
    func otherNamesUntouched() throws {
        var observed = PlannerTests.converged(Self.project)
        observed.containers[1].names = ["/sp_api_1"]
        let plan = try O.Planner.plan(Self.project, observed: observed)
        #expect(plan.isUpToDate)
    }

    struct NetworkCase: Sendable, CustomStringConvertible {
        var description: String
        var connected: [String]?
        var expected: O.PlannedAction.Kind
    }

    @Test(
        "a container not connected to every network of its create body is recreated (its create was interrupted)",
        arguments: [
            NetworkCase(description: "one network missing", connected: ["sp_front"], expected: .recreateContainer),
            NetworkCase(description: "all connected", connected: ["sp_back", "sp_front"], expected: .upToDate),
            NetworkCase(description: "connected to more", connected: ["bridge", "sp_back", "sp_front"], expected: .upToDate),
            NetworkCase(description: "membership unknown", connected: nil, expected: .upToDate),
        ])
    func networkMembership(_ c: NetworkCase) throws {
        var s = PlannerTests.service("api")
        s.container.networkingConfig = DockerEngine.NetworkingConfig(endpointsConfig: ["sp_front": .init(aliases: ["api"]), "sp_back": .init(aliases: ["api"])])
        let p = PlannerTests.project([s], networks: [O.DesiredNetwork(key: "front", name: "sp_front"), O.DesiredNetwork(key: "back", name: "sp_back")])
        var observed = PlannerTests.converged(p)
        observed.containers[0].networkSettings = c.connected.map {
            .init(networks: Dictionary(uniqueKeysWithValues: $0.map { ($0, DockerEngine.EndpointSettings()) }))
        }
        let plan = try O.Planner.plan(p, observed: observed)
        let action = try #require(plan.actions(for: "api").first)
        #expect(action.kind == c.expected)
        if c.expected == .recreateContainer {
            #expect(action.changedFields == ["networks"])
            #expect(action.reason.contains("sp_back"))
        }
    }
}
