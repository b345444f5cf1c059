import { hiddenColumns } from './stage';

describe('hiddenColumns', () => {
  it('keeps the usual names when no column of the table could clash', () => {
    const h = hiddenColumns(['id', 'email', '__hesapx', 'hesap_row']);
    expect([h.row, h.tgt, h.how, h.skip, h.skipConstraint, h.skipTarget, h.key(0)]).toEqual([
      '__hesap_row',
      '__hesap_tgt',
      '__hesap_how',
      '__hesap_skip',
      '__hesap_skip_constraint',
      '__hesap_skip_target',
      '__hesap_k0',
    ]);
  });

  it('picks names no column of the table has, whatever the table holds', () => {
    const taken = ['id', '__hesap_row', '__HESAP1_how', '__hesap2_k3'];
    const h = hiddenColumns(taken);
    const names = [h.row, h.tgt, h.how, h.skip, h.skipConstraint, h.skipTarget, ...[0, 1, 2, 3].map(h.key)];
    for (const name of names) expect(taken.map((c) => c.toLowerCase())).not.toContain(name.toLowerCase());
    expect(h.row).toBe('__hesap3_row');
  });
});
