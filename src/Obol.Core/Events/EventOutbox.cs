using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Storage;

namespace Obol.Core.Events;

/// <summary>
/// Something a merchant is told about: <paramref name="DataObject"/> is the object <paramref name="ObjectId"/> as the API
/// returns it at this moment (serialized with the API's JSON options), <paramref name="Type"/> one a module declared in
/// its <see cref="EventTypeCatalogue"/>.
/// </summary>
public sealed record MerchantEvent(string MerchantId, string Type, string ObjectId, object DataObject);

/// <summary>
/// The transactional outbox. An event is written in the unit of work that makes the change it reports: a change that rolls
/// back reports nothing, and a committed change is always reported (and delivered to the merchant's webhook endpoints).
/// Each object's events are numbered 1, 2, 3 … in the order their units of work commit. Implemented by the webhooks module.
/// </summary>
public interface IEventOutbox
{
    /// <returns>The event's id (<c>evt_…</c>).</returns>
    Task<string> AppendAsync(DbSession session, MerchantEvent merchantEvent);
}

/// <summary>One event type: its name (<c>payment.captured</c>) and when it is sent.</summary>
public sealed record EventType(string Name, string Description);

/// <summary>The event types one module emits; registered with <see cref="EventTypeRegistration.AddEventTypes"/>.</summary>
public sealed record EventTypeCatalogue(string Module, IReadOnlyList<EventType> Types);

public static class EventTypeRegistration
{
    public static IServiceCollection AddEventTypes(this IServiceCollection services, string module, params EventType[] types) =>
        services.AddSingleton(new EventTypeCatalogue(module, types));
}
