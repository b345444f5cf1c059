#!/usr/bin/env node
'use strict';
/**
 * Creates a SQLite file of the bill-splitting app ("hesap paylaş") at benchmark scale.
 *
 * The schema is the app's own: the file is created by TypeORM `synchronize` through
 * `openAppDatabase` of the demo app (apps/demo/dist, so `npm run build` first). The
 * rows are then written with better-sqlite3 prepared statements in one transaction,
 * journal off, deterministic (mulberry32 from the demo, fixed seed).
 *
 * Scale 1 (the default): 100k users, 20k groups, ~200k memberships, 1M orders, ~2M order
 * items, ~2M member bills. The data has what real data has: NULLs, empty strings,
 * quotes, commas, newlines, Turkish letters, emoji, JSON, and receipt photos as BLOBs
 * (~10% of orders, 100–2000 bytes).
 *
 *   node tools/bench/generate.js --out /tmp/bench.db [--scale 0.1] [--orders N] [--only orders] [--seed 7]
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');

const FIRST = ['Ali', 'Ayşe', 'Mehmet', 'Zeynep', 'Can', 'Elif', 'Emre', 'Defne', 'Burak', 'Selin', 'John', 'Maria', 'Yusuf', 'Ebru', 'Deniz', 'Noor', 'Kemal', 'İpek', 'Oğuz', 'Çağla', 'Şule', 'Gökhan', 'Ümit', 'Zoë'];
const LAST = ['Yılmaz', 'Kaya', 'Demir', 'Şahin', 'Çelik', 'Öztürk', 'Aydın', 'Arslan', 'Doğan', "O'Brien", 'Smith', 'García', 'Koç', 'Kurt', 'Aksoy', 'Güneş', 'Müller', 'Nguyễn'];
const RESTAURANTS = [
  'Kebapçı Halil', 'Pizza Locale', 'Çiya Sofrası', 'Burger "Bros"', 'Sushi Ko, Kadıköy', 'Mantı Evi', 'Dürüm 34', 'Noodle Bar',
  'Balıkçı Sabahattin', 'Simit Sarayı', '🍕 Pizza Nostra', "Hüseyin'in Yeri", 'Köfteci Ramiz', 'Taco "Loco", Moda', 'Börekçi 🥐',
];
const DISHES = [
  ['Adana kebap', 185], ['Lahmacun', 65], ['Margherita', 140], ['Mantı', 120], ['Iskender', 210], ['Ayran', 25], ['Künefe', 95],
  ['Çay', 12.5], ['Salmon roll', 160], ['Cheeseburger', 175], ['Su', 10], ['Baklava (4 pcs)', 110], ['Pide, kaşarlı', 135],
  ['"Special" burger', 199.9], ['Dondurma 🍨', 60], ['Çiğ köfte dürüm', 70],
];
const NOTES = ['acısız', 'bol limon, soğansız', '"extra" sos', 'İki porsiyon\nayrı paket', 'glutensiz 🌾'];
const GROUP_NAMES = ['Ofis öğle yemeği', 'Ev arkadaşları', 'Bodrum tatili', 'Cuma akşamı', 'Basketbol takımı', 'Kitap kulübü', 'Hackathon', 'Aile', 'Team "Lunch"', 'Erasmus, Kadıköy'];
const EMOJI = ['🍕', '🎉', '🏖️', '⚽', '📚', '👨‍👩‍👧', '🍻', '🇹🇷'];
const DESCRIPTIONS = ['Hesabı paylaşıyoruz, "adil" olsun.\nHer ay sıfırlanır.', 'Öğle yemekleri; çay dahil.', 'Tatil masrafları 🏖️', "Don't forget the tip, y'all", 'Kira + faturalar\r\nayın 5\'inde'];

/** The demo app's model (TypeORM entities, `openAppDatabase`, the seeded random generator). */
function demo() {
  require(path.join(ROOT, 'node_modules/reflect-metadata'));
  try {
    return require(path.join(ROOT, 'apps/demo/dist/seed.js'));
  } catch (error) {
    throw new Error(`apps/demo/dist/seed.js is missing: run \`npm run build\` first (${error.message})`);
  }
}

/** Table sizes at scale 1. */
const BASE = { users: 100_000, groups: 20_000, orders: 1_000_000 };

function parseArgs(argv) {
  const opts = { out: undefined, scale: 1, orders: undefined, only: undefined, seed: 7, quiet: false };
  require('./lib').eachArg(argv, (a, next) => {
    if (a === '--out') opts.out = next();
    else if (a === '--scale') opts.scale = Number(next());
    else if (a === '--orders') opts.orders = Number(next());
    else if (a === '--only') opts.only = next();
    else if (a === '--seed') opts.seed = Number(next());
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node tools/bench/generate.js --out <file.db> [--scale 1] [--orders N] [--only orders] [--seed 7]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  });
  if (!opts.out) throw new Error('--out <file.db> is required');
  if (!(opts.scale > 0)) throw new Error('--scale must be a positive number');
  return opts;
}

/** Row counts for a scale; `orders` overrides the number of orders (items and bills follow it). */
function sizes(scale = 1, orders) {
  return {
    users: Math.max(10, Math.round(BASE.users * scale)),
    groups: Math.max(2, Math.round(BASE.groups * scale)),
    orders: Math.max(1, Math.round(orders ?? BASE.orders * scale)),
  };
}

/**
 * Writes the database. `only: 'orders'` fills users, groups, memberships and orders but
 * no order items or member bills (for the 10M-row memory test).
 * Returns the row counts and the seconds it took.
 */
async function generate({ out, scale = 1, orders, only, seed = 7, quiet = false }) {
  const { openAppDatabase, random } = demo();
  const Database = require('better-sqlite3');
  const log = (m) => quiet || process.stderr.write(`[generate] ${m}\n`);
  const started = process.hrtime.bigint();
  const size = sizes(scale, orders);

  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  for (const suffix of ['', '-journal', '-wal', '-shm']) fs.rmSync(out + suffix, { force: true });
  // The schema exactly as the app's TypeORM model creates it.
  const ds = await openAppDatabase(out, true);
  await ds.destroy();

  const db = new Database(out);
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144');
  db.pragma('locking_mode = EXCLUSIVE');
  db.pragma('temp_store = MEMORY');
  // The rows are consistent by construction; better-sqlite3 would check every reference.
  db.pragma('foreign_keys = OFF');

  const rnd = random(seed);
  const int = (n) => Math.floor(rnd() * n);
  const pick = (list) => list[int(list.length)];
  const money = (n) => Math.round(n * 100) / 100;
  const pad = (n) => (n < 10 ? '0' : '') + n;
  const BASE_MS = Date.UTC(2025, 0, 1);
  const stamp = () => {
    const d = new Date(BASE_MS + int(500 * 86400) * 1000);
    return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  };
  // Receipt photos: slices of one pseudo-random pool (deterministic, no per-byte work).
  const pool = Buffer.alloc(1 << 22);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE((rnd() * 4294967296) >>> 0, i);

  const counts = { users: 0, groups: 0, group_members: 0, orders: 0, order_items: 0, member_bills: 0 };
  const insertUser = db.prepare(
    'INSERT INTO users (id, first_name, last_name, email, phone, password_hash, avatar_url, bonus_points, is_active, is_deleted, created_at, updated_at, invited_by) ' +
      'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertGroup = db.prepare('INSERT INTO groups (id, name, description, code, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)');
  const insertMember = db.prepare('INSERT INTO group_members (group_id, user_id, joined_at) VALUES (?, ?, ?)');
  const insertOrder = db.prepare(
    'INSERT INTO orders (id, restaurant, total, tax, delivery, receipt, created_at, group_id, creator_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const insertItem = db.prepare('INSERT INTO order_items (id, name, price, quantity, order_id) VALUES (?, ?, ?, ?, ?)');
  const insertBill = db.prepare('INSERT INTO member_bills (id, amount, items, order_id, user_id) VALUES (?, ?, ?, ?, ?)');

  const fill = db.transaction(() => {
    for (let id = 1; id <= size.users; id++) {
      const first = pick(FIRST);
      const last = pick(LAST);
      const created = stamp();
      const p = rnd();
      const phone = p < 0.68 ? `+90 5${String(int(1e9)).padStart(9, '0')}` : p < 0.7 ? '' : null;
      const a = rnd();
      const avatar = a < 0.5 ? `https://cdn.example.com/avatars/${id}.png?v=${int(9)}` : a < 0.75 ? '' : null;
      insertUser.run(
        id, first, last, `${first}.${last}.${id}@example.com`.toLowerCase().normalize('NFKD').replace(/[^a-z0-9.@]/g, ''),
        phone, `$2b$10$${int(2 ** 52).toString(36).padEnd(53, 'x')}`, avatar, int(500), rnd() < 0.9 ? 1 : 0, rnd() < 0.05 ? 1 : 0,
        created, rnd() < 0.3 ? stamp() : created, id > 1 && rnd() < 0.4 ? 1 + int(id - 1) : null,
      );
    }
    counts.users = size.users;
    log(`users ${size.users}`);

    // Memberships: each group has 2–18 distinct members (10 on average), the creator first.
    const memberStart = new Int32Array(size.groups + 2);
    const members = new Int32Array(size.groups * 18);
    let m = 0;
    for (let id = 1; id <= size.groups; id++) {
      const owner = 1 + int(size.users);
      const d = rnd();
      const description = d < 0.5 ? pick(DESCRIPTIONS) : d < 0.6 ? '' : null;
      const name = `${rnd() < 0.2 ? pick(EMOJI) + ' ' : ''}${pick(GROUP_NAMES)} ${id}`;
      insertGroup.run(id, name, description, `G${id.toString(36).toUpperCase()}-${int(1000)}`, stamp(), owner);
      memberStart[id] = m;
      const want = Math.min(size.users, 2 + int(17));
      const seen = new Set([owner]);
      members[m++] = owner;
      while (seen.size < want) {
        const u = 1 + int(size.users);
        if (seen.has(u)) continue;
        seen.add(u);
        members[m++] = u;
      }
      for (let k = memberStart[id]; k < m; k++) insertMember.run(id, members[k], stamp());
    }
    memberStart[size.groups + 1] = m;
    counts.groups = size.groups;
    counts.group_members = m;
    log(`groups ${size.groups}, memberships ${m}`);

    let itemId = 0;
    let billId = 0;
    const chosen = [];
    for (let id = 1; id <= size.orders; id++) {
      const group = 1 + int(size.groups);
      const from = memberStart[group];
      const groupSize = memberStart[group + 1] - from;
      const creator = members[from + int(groupSize)];
      // 1–3 items (2 on average).
      const n = 1 + int(3);
      const items = [];
      let subtotal = 0;
      for (let k = 0; k < n; k++) {
        const [dish, price] = pick(DISHES);
        const name = rnd() < 0.05 ? `${dish} (${pick(NOTES)})` : dish;
        const quantity = 1 + int(3);
        items.push({ name, price, quantity });
        subtotal += price * quantity;
      }
      const tax = money(subtotal * 0.08);
      const delivery = rnd() < 0.5 ? 0 : money(15 + rnd() * 20);
      const total = money(subtotal + tax + delivery);
      let receipt = null;
      if (rnd() < 0.1) {
        const len = 100 + int(1901);
        const at = int(pool.length - len);
        receipt = pool.subarray(at, at + len);
      }
      insertOrder.run(id, pick(RESTAURANTS), total, tax, delivery, receipt, stamp(), group, creator);
      if (only === 'orders') continue;
      for (const it of items) insertItem.run(++itemId, it.name, it.price, it.quantity, id);
      // 1–3 of the group's members share the bill (2 on average).
      const payers = Math.min(groupSize, 1 + int(3));
      chosen.length = 0;
      while (chosen.length < payers) {
        const u = members[from + int(groupSize)];
        if (!chosen.includes(u)) chosen.push(u);
      }
      const share = money(total / payers);
      for (const u of chosen) {
        const mine = items.filter(() => rnd() < 0.6);
        insertBill.run(++billId, share, JSON.stringify(mine), id, u);
      }
      if (id % 250_000 === 0) log(`orders ${id}`);
    }
    counts.orders = size.orders;
    counts.order_items = itemId;
    counts.member_bills = billId;
  });
  fill();
  db.pragma('locking_mode = NORMAL');
  db.pragma('journal_mode = DELETE');
  db.close();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const bytes = fs.statSync(out).size;
  log(`done in ${seconds.toFixed(1)} s: ${JSON.stringify(counts)}, ${(bytes / 1e6).toFixed(0)} MB`);
  return { file: out, counts, rows: Object.values(counts).reduce((a, b) => a + b, 0), bytes, seconds };
}

/** Creates an empty SQLite file with the app's schema (TypeORM synchronize), no rows. */
async function createSchemaFile(file) {
  const { openAppDatabase } = demo();
  fs.rmSync(file, { force: true });
  const ds = await openAppDatabase(file, true);
  await ds.destroy();
}

module.exports = { generate, createSchemaFile, sizes, BASE };

if (require.main === module) {
  generate(parseArgs(process.argv.slice(2)))
    .then((r) => console.log(JSON.stringify(r)))
    .catch((error) => {
      console.error(`generate: ${error.message}`);
      process.exit(1);
    });
}
