using Obol.Core.Events;

namespace Obol.Webhooks.Events;

/// <summary>Every event type the modules declared (<see cref="EventTypeCatalogue"/>), and what an endpoint's <c>enabledEvents</c> may name.</summary>
internal sealed class EventTypeNames(IEnumerable<EventTypeCatalogue> catalogues)
{
    private readonly HashSet<string> _names = catalogues.SelectMany(c => c.Types).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);

    public IReadOnlyList<(string Module, EventType Type)> All { get; } =
        catalogues.SelectMany(c => c.Types.Select(t => (c.Module, t))).OrderBy(t => t.t.Name, StringComparer.Ordinal).ToList();

    public bool IsKnown(string name) => _names.Contains(name);

    /// <summary>A type, a family of types (<c>payment.*</c>), or <c>*</c>.</summary>
    public bool IsSelectable(string name) =>
        name == "*" || IsKnown(name) || (name.EndsWith(".*", StringComparison.Ordinal) && _names.Any(n => EventStore.Family(n) == name));

    public static bool Enables(IReadOnlyList<string> enabledEvents, string type) =>
        enabledEvents.Any(e => e == "*" || e == type || e == EventStore.Family(type));
}
