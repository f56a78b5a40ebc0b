
namespace Obol.PspSimulator.Charges;

public enum OperationError
{
    None,
    NotFound,
    InvalidState,
    AmountTooLarge,
    InvalidAmount,
}

public sealed record OperationResult(OperationError Error, Charge? Charge, Movement? Movement = null)
{
    public bool Succeeded => Error == OperationError.None;
}

/// <summary>All charges, in memory. Every change goes through one lock so state transitions are atomic.</summary>
public sealed class ChargeStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(Psp, string), Charge> _charges = [];
    private readonly Dictionary<(Psp, string), string> _movementOwner = [];
    private readonly List<(Psp, string)> _order = [];

    public void Add(Charge charge)
    {
        lock (_gate)
        {
            _charges.Add((charge.Psp, charge.Id), charge);
            _order.Add((charge.Psp, charge.Id));
            foreach (var movement in charge.Movements)
            {
                _movementOwner[(charge.Psp, movement.Id)] = charge.Id;
            }
        }
    }

    public Charge? Find(Psp psp, string id)
    {
        lock (_gate)
        {
            return _charges.GetValueOrDefault((psp, id));
        }
    }

    public (Charge Charge, Movement Movement)? FindMovement(Psp psp, string movementId)
    {
        lock (_gate)
        {
            if (!_movementOwner.TryGetValue((psp, movementId), out var chargeId))
            {
                return null;
            }

            var charge = _charges[(psp, chargeId)];
            return (charge, charge.Movements.First(m => string.Equals(m.Id, movementId, StringComparison.Ordinal)));
        }
    }

    /// <summary>Charges in creation order.</summary>
    public IReadOnlyList<Charge> List(Psp? psp = null, string? reference = null)
    {
        lock (_gate)
        {
            return _order
                .Select(key => _charges[key])
                .Where(c => psp is null || c.Psp == psp)
                .Where(c => reference is null || string.Equals(c.Reference, reference, StringComparison.Ordinal))
                .ToList();
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _charges.Clear();
            _movementOwner.Clear();
            _order.Clear();
        }
    }

    /// <summary>Captures <paramref name="amount"/> (all when null) of an authorization, as the movement <paramref name="capture"/> makes for the amount.</summary>
    public OperationResult Capture(Psp psp, string id, long? amount, Func<long, Movement> capture) =>
        Update(psp, id, charge =>
        {
            if (charge.Status != ChargeStatus.Authorized)
            {
                return new OperationResult(OperationError.InvalidState, charge);
            }

            var toCapture = amount ?? charge.Amount;
            if (toCapture <= 0)
            {
                return new OperationResult(OperationError.InvalidAmount, charge);
            }

            if (toCapture > charge.Amount)
            {
                return new OperationResult(OperationError.AmountTooLarge, charge);
            }

            var movement = capture(toCapture);
            return new OperationResult(OperationError.None, charge with
            {
                Status = ChargeStatus.Captured,
                Movements = charge.Movements.Add(movement),
            }, movement);
        });

    /// <summary>Voids an authorization or a pending payment; Stripe also cancels a declined intent (<paramref name="allowDeclined"/>).</summary>
    public OperationResult Cancel(Psp psp, string id, string? reason, DateTimeOffset now, bool allowDeclined = false) =>
        Update(psp, id, charge =>
        {
            var cancelable = charge.Status is ChargeStatus.Authorized or ChargeStatus.Pending
                || (allowDeclined && charge.Status == ChargeStatus.Declined);
            if (!cancelable)
            {
                return new OperationResult(OperationError.InvalidState, charge);
            }

            return new OperationResult(OperationError.None, charge with
            {
                Status = ChargeStatus.Canceled,
                CanceledAt = now,
                CancellationReason = reason,
            });
        });

    public OperationResult Refund(Psp psp, string id, long? amount, Func<long, Movement> refund) =>
        Update(psp, id, charge =>
        {
            if (charge.Status != ChargeStatus.Captured || charge.AmountRefundable == 0)
            {
                return new OperationResult(OperationError.InvalidState, charge);
            }

            var toRefund = amount ?? charge.AmountRefundable;
            if (toRefund <= 0)
            {
                return new OperationResult(OperationError.InvalidAmount, charge);
            }

            if (toRefund > charge.AmountRefundable)
            {
                return new OperationResult(OperationError.AmountTooLarge, charge);
            }

            var movement = refund(toRefund);
            return new OperationResult(OperationError.None, charge with { Movements = charge.Movements.Add(movement) }, movement);
        });

    /// <summary>A pending (bank transfer) payment completes: captured in full.</summary>
    public OperationResult Settle(Psp psp, string id, string movementId, DateTimeOffset now) =>
        Update(psp, id, charge =>
        {
            if (charge.Status != ChargeStatus.Pending)
            {
                return new OperationResult(OperationError.InvalidState, charge);
            }

            var movement = new Movement(movementId, MovementKind.Capture, charge.Amount, now, charge.Reference, null, charge.Metadata, charge.IdempotencyKey);
            return new OperationResult(OperationError.None, charge with
            {
                Status = ChargeStatus.Captured,
                Movements = charge.Movements.Add(movement),
            }, movement);
        });

    private OperationResult Update(Psp psp, string id, Func<Charge, OperationResult> change)
    {
        lock (_gate)
        {
            if (!_charges.TryGetValue((psp, id), out var charge))
            {
                return new OperationResult(OperationError.NotFound, null);
            }

            var result = change(charge);
            if (result.Succeeded && result.Charge is not null)
            {
                _charges[(psp, id)] = result.Charge;
                if (result.Movement is not null)
                {
                    _movementOwner[(psp, result.Movement.Id)] = id;
                }
            }

            return result;
        }
    }
}
