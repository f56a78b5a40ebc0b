namespace Obol.Payouts.Tests.Support;

/// <summary>Builds activity records in the wire format.</summary>
internal static class Records
{
    public static string Start(string orderId, string time) => $"orderId={orderId},action=START,time={time}";

    public static string End(string orderId, string time) => $"orderId={orderId},action=END,time={time}";

    public static string Start(string orderId, int minuteOfDay) => Start(orderId, Clock(minuteOfDay));

    public static string End(string orderId, int minuteOfDay) => End(orderId, Clock(minuteOfDay));

    public static string Clock(int minuteOfDay) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{minuteOfDay / 60:D2}:{minuteOfDay % 60:D2}");
}
