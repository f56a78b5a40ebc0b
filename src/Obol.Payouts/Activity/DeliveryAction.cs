namespace Obol.Payouts.Activity;

internal enum DeliveryAction
{
    Start,
    End,
}
