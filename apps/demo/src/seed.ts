import * as fs from 'node:fs';
import { DataSource } from 'typeorm';
import { ENTITIES, Group, GroupMember, MemberBill, Order, OrderItem, User } from './model';

/** A small deterministic random generator (mulberry32), so every demo database is the same. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ali', 'Ayşe', 'Mehmet', 'Zeynep', 'Can', 'Elif', 'Emre', 'Defne', 'Burak', 'Selin', 'John', 'Maria', 'Yusuf', 'Ebru', 'Deniz', 'Noor', 'Kemal', 'İpek', 'Oğuz', 'Çağla'];
const LAST = ['Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Öztürk', 'Aydın', 'Arslan', 'Doğan', "O'Brien", 'Smith', 'García', 'Koç', 'Kurt', 'Aksoy'];
const RESTAURANTS = ['Kebapçı Halil', 'Pizza Locale', 'Çiya Sofrası', 'Burger "Bros"', 'Sushi Ko, Kadıköy', 'Mantı Evi', 'Dürüm 34', 'Noodle Bar', 'Balıkçı Sabahattin', 'Simit Sarayı'];
const DISHES: Array<[string, number]> = [
  ['Adana kebap', 185],
  ['Lahmacun', 65],
  ['Margherita', 140],
  ['Mantı', 120],
  ['Iskender', 210],
  ['Ayran', 25],
  ['Künefe', 95],
  ['Çay', 12.5],
  ['Salmon roll', 160],
  ['Cheeseburger', 175],
  ['Su', 10],
  ['Baklava (4 pcs)', 110],
];
const GROUP_NAMES = ['Ofis öğle yemeği', 'Ev arkadaşları', 'Bodrum tatili', 'Cuma akşamı', 'Basketbol takımı', 'Kitap kulübü', 'Hackathon', 'Aile'];

const pick = <T>(rnd: () => number, list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
const money = (n: number) => Math.round(n * 100) / 100;
const pad = (n: number) => String(n).padStart(2, '0');
function timestamp(rnd: () => number, base = Date.UTC(2026, 0, 1)): string {
  const d = new Date(base + Math.floor(rnd() * 300 * 86400_000));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

export interface SampleSize {
  users: number;
  groups: number;
  orders: number;
}

export const DEMO_SIZE: SampleSize = { users: 60, groups: 12, orders: 80 };

/** Opens (and with `synchronize` creates) the app's schema in a SQLite file through TypeORM. */
export async function openAppDatabase(file: string, synchronize = true): Promise<DataSource> {
  const dataSource = new DataSource({ type: 'better-sqlite3', database: file, entities: ENTITIES, synchronize, logging: false });
  await dataSource.initialize();
  return dataSource;
}

/**
 * Creates the sample database of the bill-splitting app: users (some invited by
 * others, some without phone or avatar), groups with members, orders with items, and
 * each member's bill with a JSON list of what they had.
 */
export async function createSampleDatabase(file: string, size: SampleSize = DEMO_SIZE, seed = 7): Promise<{ rows: number }> {
  fs.rmSync(file, { force: true });
  const rnd = random(seed);
  const ds = await openAppDatabase(file);
  let rows = 0;
  try {
    await ds.transaction(async (m) => {
      const users: User[] = [];
      for (let i = 0; i < size.users; i++) {
        const first = pick(rnd, FIRST);
        const last = pick(rnd, LAST);
        const created = timestamp(rnd);
        const user = m.create(User, {
          firstName: first,
          lastName: last,
          email: `${first}.${last}.${i}@example.com`.toLowerCase().replace(/[^a-z0-9.@]/g, ''),
          phone: rnd() < 0.7 ? `+90 5${Math.floor(rnd() * 1e9).toString().padStart(9, '0')}` : null,
          passwordHash: `$2b$10$${Math.floor(rnd() * 1e16).toString(36).padEnd(22, 'x')}`,
          avatarUrl: rnd() < 0.5 ? `https://cdn.example.com/avatars/${i}.png` : rnd() < 0.5 ? '' : null,
          bonusPoints: Math.floor(rnd() * 500),
          isActive: rnd() < 0.9,
          isDeleted: rnd() < 0.05,
          invitedBy: users.length > 0 && rnd() < 0.4 ? pick(rnd, users) : null,
          createdAt: created,
          updatedAt: created,
        });
        users.push(await m.save(user));
      }
      const groups: Group[] = [];
      const members = new Map<number, User[]>();
      for (let i = 0; i < size.groups; i++) {
        const owner = pick(rnd, users);
        const group = await m.save(
          m.create(Group, {
            name: `${pick(rnd, GROUP_NAMES)} ${i + 1}`,
            description: rnd() < 0.6 ? 'Hesabı paylaşıyoruz, "adil" olsun.\nHer ay sıfırlanır.' : null,
            code: `G${(1000 + i).toString(36).toUpperCase()}${Math.floor(rnd() * 1000)}`,
            createdBy: owner,
            createdAt: timestamp(rnd),
          }),
        );
        groups.push(group);
        const set = new Set<User>([owner]);
        while (set.size < Math.min(users.length, 2 + Math.floor(rnd() * 6))) set.add(pick(rnd, users));
        members.set(group.id, [...set]);
        for (const user of set) {
          await m.save(m.create(GroupMember, { groupId: group.id, userId: user.id, joinedAt: timestamp(rnd) }));
        }
      }
      for (let i = 0; i < size.orders; i++) {
        const group = pick(rnd, groups);
        const people = members.get(group.id)!;
        const dishes = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => pick(rnd, DISHES));
        const items = dishes.map(([name, price]) => ({ name, price, quantity: 1 + Math.floor(rnd() * 3) }));
        const subtotal = items.reduce((s, it) => s + it.price * it.quantity, 0);
        const tax = money(subtotal * 0.08);
        const delivery = rnd() < 0.5 ? 0 : money(15 + rnd() * 20);
        const order = await m.save(
          m.create(Order, {
            group,
            creator: pick(rnd, people),
            restaurant: pick(rnd, RESTAURANTS),
            total: money(subtotal + tax + delivery),
            tax,
            delivery,
            receipt: rnd() < 0.2 ? Buffer.from(Array.from({ length: 64 + Math.floor(rnd() * 512) }, () => Math.floor(rnd() * 256))) : null,
            createdAt: timestamp(rnd),
          }),
        );
        for (const it of items) await m.save(m.create(OrderItem, { order, name: it.name, price: it.price, quantity: it.quantity }));
        const share = money((subtotal + tax + delivery) / people.length);
        for (const user of people) {
          await m.save(m.create(MemberBill, { order, user, amount: share, items: items.filter(() => rnd() < 0.6) }));
        }
        rows += 1 + items.length + people.length;
      }
      rows += users.length + groups.length + [...members.values()].reduce((n, l) => n + l.length, 0);
    });
  } finally {
    await ds.destroy();
  }
  return { rows };
}
