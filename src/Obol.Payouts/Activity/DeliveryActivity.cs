using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using Obol.Payouts.PayRules;

namespace Obol.Payouts.Activity;

/// <summary>One parsed <c>orderId=&lt;id&gt;,action=&lt;START|END&gt;,time=&lt;HH:MM&gt;</c> record.</summary>
/// <remarks>
/// The grammar is strict: fields in exactly that order, no spaces, no extra fields, upper-case actions,
/// two-digit hours and minutes. An order id is 1–100 printable ASCII characters other than ',' and '='.
/// A record that bends the grammar is more likely a broken producer than a variant to guess at.
/// </remarks>
internal readonly struct DeliveryActivity
{
    public const int MaxOrderIdLength = 100;

    private const string OrderIdField = "orderId=";
    private const string ActionField = ",action=";
    private const string TimeField = ",time=";

    private static readonly SearchValues<char> OrderIdSeparators = SearchValues.Create(",=");

    private DeliveryActivity(string record, int orderIdLength, DeliveryAction action, MinuteOfDay time)
    {
        OrderId = new OrderIdSlice(record, OrderIdField.Length, orderIdLength);
        Action = action;
        Time = time;
    }

    public string Record => OrderId.Source;

    public OrderIdSlice OrderId { get; }

    public DeliveryAction Action { get; }

    public MinuteOfDay Time { get; }

    public static bool TryParse(string? record, out DeliveryActivity activity, [NotNullWhen(false)] out string? error)
    {
        activity = default;
        if (record is null)
        {
            error = "the record is null";
            return false;
        }

        var text = record.AsSpan();
        if (!text.StartsWith(OrderIdField, StringComparison.Ordinal))
        {
            error = "it does not start with 'orderId='";
            return false;
        }

        var rest = text[OrderIdField.Length..];
        var comma = rest.IndexOf(',');
        var orderId = comma < 0 ? rest : rest[..comma];
        if (orderId.IsEmpty)
        {
            error = "the orderId is empty";
            return false;
        }

        if (orderId.Length > MaxOrderIdLength)
        {
            error = $"the orderId is longer than {MaxOrderIdLength} characters";
            return false;
        }

        if (orderId.ContainsAnyExceptInRange('!', '~') || orderId.ContainsAny(OrderIdSeparators))
        {
            error = "the orderId may only hold printable ASCII other than ',' and '='";
            return false;
        }

        rest = rest[orderId.Length..];
        if (!rest.StartsWith(ActionField, StringComparison.Ordinal))
        {
            error = "expected ',action=' after the orderId";
            return false;
        }

        rest = rest[ActionField.Length..];
        comma = rest.IndexOf(',');
        var actionText = comma < 0 ? rest : rest[..comma];
        DeliveryAction action;
        if (actionText.SequenceEqual("START"))
        {
            action = DeliveryAction.Start;
        }
        else if (actionText.SequenceEqual("END"))
        {
            action = DeliveryAction.End;
        }
        else
        {
            error = "the action is not START or END";
            return false;
        }

        rest = rest[actionText.Length..];
        if (!rest.StartsWith(TimeField, StringComparison.Ordinal))
        {
            error = "expected ',time=' after the action";
            return false;
        }

        rest = rest[TimeField.Length..];
        if (rest.Contains(','))
        {
            error = "it has fields after the time";
            return false;
        }

        if (!MinuteOfDay.TryParse(rest, out var time))
        {
            error = "the time is not HH:MM between 00:00 and 23:59";
            return false;
        }

        activity = new DeliveryActivity(record, orderId.Length, action, time);
        error = null;
        return true;
    }
}
