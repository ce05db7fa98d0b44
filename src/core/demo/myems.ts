/**
 * What MyEMS's own install script puts in a fresh system database and MyEMS scripts therefore rely on: its
 * time-zone table with MyEMS's ids (56 = China Standard Time, +08:00) and the root space (id 1). Each MyEMS zone
 * is mapped to the IANA zone that gives DST-correct local time (`iana_name`); `utc_offset` and `description` are
 * MyEMS's, the standard offset it shows. A fresh store is seeded with both; an older store gets them completed by
 * a migration that keeps every existing row, id and reference.
 */
import { randomUUID } from 'node:crypto';
import type { Db, FeatureMigrations } from '../store/store';

/** [id, name, description, utc_offset, iana_name]: MyEMS's tbl_timezones rows, each with its IANA zone. */
export const MYEMS_TIMEZONES: readonly [number, string, string, string, string][] = [
  [1, 'Dateline Standard Time', '(GMT-12:00) International Date Line West', '-12:00', 'Etc/GMT+12'],
  [2, 'Samoa Standard Time', '(GMT-11:00) Midway Island, Samoa', '-11:00', 'Pacific/Pago_Pago'],
  [3, 'Hawaiian Standard Time', '(GMT-10:00) Hawaii', '-10:00', 'Pacific/Honolulu'],
  [4, 'Alaskan Standard Time', '(GMT-09:00) Alaska', '-09:00', 'America/Anchorage'],
  [5, 'Pacific Standard Time', '(GMT-08:00) Pacific Time (US and Canada) Tijuana', '-08:00', 'America/Los_Angeles'],
  [6, 'Mountain Standard Time', '(GMT-07:00) Mountain Time (US and Canada)', '-07:00', 'America/Denver'],
  [7, 'Mexico Standard Time 2', '(GMT-07:00) Chihuahua, La Paz, Mazatlan', '-07:00', 'America/Mazatlan'],
  [8, 'U.S. Mountain Standard Time', '(GMT-07:00) Arizona', '-07:00', 'America/Phoenix'],
  [9, 'Central Standard Time', '(GMT-06:00) Central Time (US and Canada)', '-06:00', 'America/Chicago'],
  [10, 'Canada Central Standard Time', '(GMT-06:00) Saskatchewan', '-06:00', 'America/Regina'],
  [11, 'Mexico Standard Time', '(GMT-06:00) Guadalajara, Mexico City, Monterrey', '-06:00', 'America/Mexico_City'],
  [12, 'Central America Standard Time', '(GMT-06:00) Central America', '-06:00', 'America/Guatemala'],
  [13, 'Eastern Standard Time', '(GMT-05:00) Eastern Time (US and Canada)', '-05:00', 'America/New_York'],
  [14, 'U.S. Eastern Standard Time', '(GMT-05:00) Indiana (East)', '-05:00', 'America/Indiana/Indianapolis'],
  [15, 'S.A. Pacific Standard Time', '(GMT-05:00) Bogota, Lima, Quito', '-05:00', 'America/Bogota'],
  [16, 'Atlantic Standard Time', '(GMT-04:00) Atlantic Time (Canada)', '-04:00', 'America/Halifax'],
  [17, 'S.A. Western Standard Time', '(GMT-04:00) Georgetown, La Paz, San Juan', '-04:00', 'America/La_Paz'],
  [18, 'Pacific S.A. Standard Time', '(GMT-04:00) Santiago', '-04:00', 'America/Santiago'],
  [19, 'Newfoundland and Labrador Standard Time', '(GMT-03:30) Newfoundland', '-03:30', 'America/St_Johns'],
  [20, 'E. South America Standard Time', '(GMT-03:00) Brasilia', '-03:00', 'America/Sao_Paulo'],
  [21, 'S.A. Eastern Standard Time', '(GMT-03:00) Georgetown', '-03:00', 'America/Cayenne'],
  [22, 'Greenland Standard Time', '(GMT-03:00) Greenland', '-03:00', 'America/Nuuk'],
  [23, 'Mid-Atlantic Standard Time', '(GMT-02:00) Mid-Atlantic', '-02:00', 'Atlantic/South_Georgia'],
  [24, 'Azores Standard Time', '(GMT-01:00) Azores', '-01:00', 'Atlantic/Azores'],
  [25, 'Cape Verde Standard Time', '(GMT-01:00) Cape Verde Islands', '-01:00', 'Atlantic/Cape_Verde'],
  [26, 'GMT Standard Time', '(GMT) Greenwich Mean Time: Dublin, Edinburgh, Lisbon, London', '+00:00', 'Europe/London'],
  [27, 'Greenwich Standard Time', '(GMT) Monrovia, Reykjavik', '+00:00', 'Atlantic/Reykjavik'],
  [28, 'Central Europe Standard Time', '(GMT+01:00) Belgrade, Bratislava, Budapest, Ljubljana, Prague', '+01:00', 'Europe/Budapest'],
  [29, 'Central European Standard Time', '(GMT+01:00) Sarajevo, Skopje, Warsaw, Zagreb', '+01:00', 'Europe/Warsaw'],
  [30, 'Romance Standard Time', '(GMT+01:00) Brussels, Copenhagen, Madrid, Paris', '+01:00', 'Europe/Paris'],
  [31, 'W. Europe Standard Time', '(GMT+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna', '+01:00', 'Europe/Berlin'],
  [32, 'W. Central Africa Standard Time', '(GMT+01:00) West Central Africa', '+01:00', 'Africa/Lagos'],
  [33, 'E. Europe Standard Time', '(GMT+02:00) Minsk', '+02:00', 'Europe/Minsk'],
  [34, 'Egypt Standard Time', '(GMT+02:00) Cairo', '+02:00', 'Africa/Cairo'],
  [35, 'FLE Standard Time', '(GMT+02:00) Helsinki, Kiev, Riga, Sofia, Tallinn, Vilnius', '+02:00', 'Europe/Helsinki'],
  [36, 'GTB Standard Time', '(GMT+02:00) Athens, Bucharest, Istanbul', '+02:00', 'Europe/Bucharest'],
  [37, 'Israel Standard Time', '(GMT+02:00) Jerusalem', '+02:00', 'Asia/Jerusalem'],
  [38, 'South Africa Standard Time', '(GMT+02:00) Harare, Pretoria', '+02:00', 'Africa/Johannesburg'],
  [39, 'Russian Standard Time', '(GMT+03:00) Moscow, St. Petersburg, Volgograd', '+03:00', 'Europe/Moscow'],
  [40, 'Arab Standard Time', '(GMT+03:00) Kuwait, Riyadh', '+03:00', 'Asia/Riyadh'],
  [41, 'E. Africa Standard Time', '(GMT+03:00) Nairobi', '+03:00', 'Africa/Nairobi'],
  [42, 'Arabic Standard Time', '(GMT+03:00) Baghdad', '+03:00', 'Asia/Baghdad'],
  [43, 'Iran Standard Time', '(GMT+03:30) Tehran', '+03:30', 'Asia/Tehran'],
  [44, 'Arabian Standard Time', '(GMT+04:00) Abu Dhabi, Muscat', '+04:00', 'Asia/Dubai'],
  [45, 'Caucasus Standard Time', '(GMT+04:00) Baku, Tbilisi, Yerevan', '+04:00', 'Asia/Baku'],
  [46, 'Transitional Islamic State of Afghanistan Standard Time', '(GMT+04:30) Kabul', '+04:30', 'Asia/Kabul'],
  [47, 'Ekaterinburg Standard Time', '(GMT+05:00) Ekaterinburg', '+05:00', 'Asia/Yekaterinburg'],
  [48, 'West Asia Standard Time', '(GMT+05:00) Tashkent', '+05:00', 'Asia/Tashkent'],
  [49, 'India Standard Time', '(GMT+05:30) Chennai, Kolkata, Mumbai, New Delhi', '+05:30', 'Asia/Kolkata'],
  [50, 'Central Asia Standard Time', '(GMT+06:00) Astana, Dhaka', '+06:00', 'Asia/Dhaka'],
  [51, 'Sri Lanka Standard Time', '(GMT+06:00) Sri Jayawardenepura', '+06:00', 'Asia/Colombo'],
  [52, 'N. Central Asia Standard Time', '(GMT+06:00) Almaty, Novosibirsk', '+06:00', 'Asia/Novosibirsk'],
  [53, 'Myanmar Standard Time', '(GMT+06:30) Yangon (Rangoon)', '+06:30', 'Asia/Yangon'],
  [54, 'S.E. Asia Standard Time', '(GMT+07:00) Bangkok, Hanoi, Jakarta', '+07:00', 'Asia/Bangkok'],
  [55, 'North Asia Standard Time', '(GMT+07:00) Krasnoyarsk', '+07:00', 'Asia/Krasnoyarsk'],
  [56, 'China Standard Time', '(GMT+08:00) Beijing, Chongqing, Hong Kong, Urumqi', '+08:00', 'Asia/Shanghai'],
  [57, 'Singapore Standard Time', '(GMT+08:00) Kuala Lumpur, Singapore', '+08:00', 'Asia/Singapore'],
  [58, 'Taipei Standard Time', '(GMT+08:00) Taipei', '+08:00', 'Asia/Taipei'],
  [59, 'W. Australia Standard Time', '(GMT+08:00) Perth', '+08:00', 'Australia/Perth'],
  [60, 'North Asia East Standard Time', '(GMT+08:00) Irkutsk, Ulaanbaatar', '+08:00', 'Asia/Irkutsk'],
  [61, 'Korea Standard Time', '(GMT+09:00) Seoul', '+09:00', 'Asia/Seoul'],
  [62, 'Tokyo Standard Time', '(GMT+09:00) Osaka, Sapporo, Tokyo', '+09:00', 'Asia/Tokyo'],
  [63, 'Yakutsk Standard Time', '(GMT+09:00) Yakutsk', '+09:00', 'Asia/Yakutsk'],
  [64, 'A.U.S. Central Standard Time', '(GMT+09:30) Darwin', '+09:30', 'Australia/Darwin'],
  [65, 'Cen. Australia Standard Time', '(GMT+09:30) Adelaide', '+09:30', 'Australia/Adelaide'],
  [66, 'A.U.S. Eastern Standard Time', '(GMT+10:00) Canberra, Melbourne, Sydney', '+10:00', 'Australia/Sydney'],
  [67, 'E. Australia Standard Time', '(GMT+10:00) Brisbane', '+10:00', 'Australia/Brisbane'],
  [68, 'Tasmania Standard Time', '(GMT+10:00) Hobart', '+10:00', 'Australia/Hobart'],
  [69, 'Vladivostok Standard Time', '(GMT+10:00) Vladivostok', '+10:00', 'Asia/Vladivostok'],
  [70, 'West Pacific Standard Time', '(GMT+10:00) Guam, Port Moresby', '+10:00', 'Pacific/Port_Moresby'],
  [71, 'Central Pacific Standard Time', '(GMT+11:00) Magadan, Solomon Islands, New Caledonia', '+11:00', 'Pacific/Guadalcanal'],
  [72, 'Fiji Islands Standard Time', '(GMT+12:00) Fiji, Kamchatka, Marshall Is.', '+12:00', 'Pacific/Fiji'],
  [73, 'New Zealand Standard Time', '(GMT+12:00) Auckland, Wellington', '+12:00', 'Pacific/Auckland'],
  [74, 'Tonga Standard Time', "(GMT+13:00) Nuku'alofa", '+13:00', 'Pacific/Tongatapu'],
  // MyEMS's row 75 is named Azerbaijan but described and offset as Buenos Aires: the description is what users pick
  [75, 'Azerbaijan Standard Time', '(GMT-03:00) Buenos Aires', '-03:00', 'America/Argentina/Buenos_Aires'],
  [76, 'Middle East Standard Time', '(GMT+02:00) Beirut', '+02:00', 'Asia/Beirut'],
  [77, 'Jordan Standard Time', '(GMT+02:00) Amman', '+02:00', 'Asia/Amman'],
  [78, 'Central Standard Time (Mexico)', '(GMT-06:00) Guadalajara, Mexico City, Monterrey - New', '-06:00', 'America/Mexico_City'],
  [79, 'Mountain Standard Time (Mexico)', '(GMT-07:00) Chihuahua, La Paz, Mazatlan - New', '-07:00', 'America/Mazatlan'],
  [80, 'Pacific Standard Time (Mexico)', '(GMT-08:00) Tijuana, Baja California', '-08:00', 'America/Tijuana'],
  [81, 'Namibia Standard Time', '(GMT+02:00) Windhoek', '+02:00', 'Africa/Windhoek'],
  [82, 'Georgian Standard Time', '(GMT+03:00) Tbilisi', '+03:00', 'Asia/Tbilisi'],
  [83, 'Central Brazilian Standard Time', '(GMT-04:00) Manaus', '-04:00', 'America/Manaus'],
  [84, 'Montevideo Standard Time', '(GMT-03:00) Montevideo', '-03:00', 'America/Montevideo'],
  [85, 'Armenian Standard Time', '(GMT+04:00) Yerevan', '+04:00', 'Asia/Yerevan'],
  [86, 'Venezuela Standard Time', '(GMT-04:30) Caracas', '-04:30', 'America/Caracas'],
  [87, 'Argentina Standard Time', '(GMT-03:00) Buenos Aires', '-03:00', 'America/Argentina/Buenos_Aires'],
  [88, 'Morocco Standard Time', '(GMT) Casablanca', '+00:00', 'Africa/Casablanca'],
  [89, 'Pakistan Standard Time', '(GMT+05:00) Islamabad, Karachi', '+05:00', 'Asia/Karachi'],
  [90, 'Mauritius Standard Time', '(GMT+04:00) Port Louis', '+04:00', 'Indian/Mauritius'],
  [91, 'UTC', '(GMT) Coordinated Universal Time', '+00:00', 'UTC'],
  [92, 'Paraguay Standard Time', '(GMT-04:00) Asuncion', '-04:00', 'America/Asuncion'],
  [93, 'Kamchatka Standard Time', '(GMT+12:00) Petropavlovsk-Kamchatsky', '+12:00', 'Asia/Kamchatka'],
];

export const CHINA_STANDARD_TIME_ID = 56;
export const UTC_TIMEZONE_ID = 91;
export const ROOT_SPACE_NAME = 'Switchyard';

const hasTable = (db: Db, table: string) => Boolean(db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table));

/**
 * Puts MyEMS's zones into the timezones table. A zone already there by name keeps its row (its IANA zone is
 * filled in when missing); a zone whose MyEMS id is free gets that id; one whose id is taken by another row (an
 * older store's own zone) gets a new id, so no existing id or reference changes.
 */
export function completeTimezones(db: Db): void {
  const cols = new Set((db.prepare('PRAGMA table_info(timezones)').all() as { name: string }[]).map((c) => c.name));
  if (!cols.has('iana_name')) db.exec('ALTER TABLE timezones ADD COLUMN iana_name TEXT');
  const byName = db.prepare('SELECT id, iana_name FROM timezones WHERE name = ?');
  const byId = db.prepare('SELECT 1 FROM timezones WHERE id = ?');
  const fill = db.prepare('UPDATE timezones SET iana_name = ? WHERE id = ?');
  const insertAt = db.prepare('INSERT INTO timezones (id, name, description, utc_offset, iana_name) VALUES (?, ?, ?, ?, ?)');
  const insert = db.prepare('INSERT INTO timezones (name, description, utc_offset, iana_name) VALUES (?, ?, ?, ?)');
  const later: (typeof MYEMS_TIMEZONES)[number][] = [];
  for (const z of MYEMS_TIMEZONES) {
    const [id, name, description, offset, iana] = z;
    const existing = byName.get(name) as { id: number; iana_name: string | null } | undefined;
    if (existing) {
      if (!existing.iana_name) fill.run(iana, existing.id);
    } else if (!byId.get(id)) insertAt.run(id, name, description, offset, iana);
    else later.push(z);
  }
  // after every free MyEMS id is placed, so a new id never takes one of them
  for (const [, name, description, offset, iana] of later) insert.run(name, description, offset, iana);
}

/** The zone of this computer, as a row of the table (exact IANA match), else UTC. */
function localTimezoneId(db: Db): number {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const row = db.prepare('SELECT id FROM timezones WHERE iana_name = ? ORDER BY id LIMIT 1').get(zone) as { id: number } | undefined;
  if (row) return row.id;
  const utc = db.prepare("SELECT id FROM timezones WHERE iana_name = 'UTC' ORDER BY id LIMIT 1").get() as { id: number } | undefined;
  return utc?.id ?? UTC_TIMEZONE_ID;
}

/**
 * MyEMS's root space (id 1, no parent) when the store has no space 1: in the local time zone of this computer,
 * with MyEMS's placeholder area (edit both to the site's).
 * A store whose space 1 exists already keeps it as it is.
 */
export function ensureRootSpace(db: Db): void {
  if (db.prepare('SELECT 1 FROM spaces WHERE id = 1').get()) return;
  const taken = db.prepare('SELECT 1 FROM spaces WHERE name = ?').get(ROOT_SPACE_NAME);
  db.prepare(
    'INSERT INTO spaces (id, uuid, name, parent_space_id, area, timezone_id, is_input_counted, is_output_counted, description) VALUES (1, ?, ?, NULL, 99999.999, ?, 1, 1, ?)',
  ).run(randomUUID(), taken ? `${ROOT_SPACE_NAME} root` : ROOT_SPACE_NAME, localTimezoneId(db), 'The root of the space tree (MyEMS space 1)');
}

/** For stores made before MyEMS's zones and root space were seeded; a fresh store's tables do not exist yet here. */
export const myemsDefaultsMigrations: FeatureMigrations = {
  feature: 'myems-defaults',
  migrations: [
    {
      version: 1,
      name: "MyEMS's time zones (with their ids) and root space",
      up: (db) => {
        if (hasTable(db, 'timezones')) completeTimezones(db);
        if (hasTable(db, 'spaces') && hasTable(db, 'timezones')) ensureRootSpace(db);
      },
    },
  ],
};
