/** Values the APIs give that the pages translate (service.expenseStatus.<value>, …). */
export const EXPENSE_STATUSES = [
  'proposed',
  'awaiting_ballot',
  'awaiting_second_approval',
  'approved',
  'paid',
  'rejected',
] as const

export const DRAFT_STATUSES = ['draft', 'balloting', 'adopted', 'not_adopted'] as const

export function known(values: readonly string[], value: string): boolean {
  return values.includes(value)
}
