#!/usr/bin/ruby
# hesap paylaş with Rails' ActiveRecord (no Rails app around it): the schema comes from the
# migration in db/migrate, which also makes schema_migrations and ar_internal_metadata.
require 'active_record'
require 'bigdecimal'
require 'json'
require 'time'

HERE = __dir__
DATA = JSON.parse(File.read(File.join(HERE, '..', 'data.json')))
USAGE = 'commands: make-sqlite FILE | make-pg URL | fill TARGET local|production | read-back TARGET --json | insert-new TARGET'

ActiveRecord::Base.default_timezone = :utc
ActiveRecord::Base.logger = nil
ActiveRecord::Migration.verbose = false

class User < ActiveRecord::Base
end

class Group < ActiveRecord::Base
  belongs_to :creator, class_name: 'User', foreign_key: :created_by_id
end

class GroupMember < ActiveRecord::Base
  # ActiveRecord 6.1 has no composite primary keys: the table has one, the model reads and inserts.
  self.primary_key = nil
  belongs_to :group
  belongs_to :user
end

class Order < ActiveRecord::Base
  belongs_to :group
  belongs_to :creator, class_name: 'User'
end

def pg?(target)
  target.start_with?('postgres://', 'postgresql://')
end

def connect(target)
  if pg?(target)
    ActiveRecord::Base.establish_connection(target)
  else
    ActiveRecord::Base.establish_connection(adapter: 'sqlite3', database: target)
  end
end

def utc(text)
  Time.iso8601("#{text}Z")
end

# A value with its Ruby type tagged, as the Python apps tag theirs.
def canon(value)
  case value
  when nil, true, false, Integer, String then value
  when Time, ActiveSupport::TimeWithZone then { '$datetime' => value.utc.strftime('%Y-%m-%dT%H:%M:%S.%6N') }
  when BigDecimal then { '$decimal' => value.to_s('F').sub(/\.0\z/, '') }
  when Float then { '$float' => value.to_s }
  when Hash, Array then { '$json' => value }
  else { '$unexpected' => value.class.name, 'inspect' => value.inspect }
  end
end

def write(data)
  made = { 'users' => [], 'groups' => [], 'orders' => [] }
  ActiveRecord::Base.transaction do
    users = User.all.index_by(&:email)
    groups = Group.all.index_by(&:code)
    data['users'].each do |u|
      users[u['email']] = User.create!(email: u['email'], name: u['name'], is_active: u['is_active'], is_admin: u['is_admin'],
                                       created_at: utc(u['created_at']), updated_at: utc(u['updated_at']))
      made['users'] << users[u['email']].id
    end
    data['groups'].each do |g|
      groups[g['code']] = Group.create!(code: g['code'], name: g['name'], creator: users[g['created_by']], created_at: utc(g['created_at']))
      made['groups'] << groups[g['code']].id
    end
    data['group_members'].each do |m|
      GroupMember.create!(group: groups[m['group']], user: users[m['user']], joined_at: utc(m['joined_at']))
    end
    data['orders'].each do |o|
      made['orders'] << Order.create!(group: groups[o['group']], creator: users[o['creator']], total: BigDecimal(o['total']),
                                      data: o['data'], created_at: utc(o['created_at'])).id
    end
  end
  { 'ids' => made }
end

def read_back
  objects = {
    'users' => User.all.map do |u|
      { 'email' => u.email, 'name' => u.name, 'is_active' => canon(u.is_active), 'is_admin' => canon(u.is_admin),
        'created_at' => canon(u.created_at), 'updated_at' => canon(u.updated_at) }
    end,
    'groups' => Group.includes(:creator).map do |g|
      { 'code' => g.code, 'name' => g.name, 'created_by' => g.creator.email, 'created_at' => canon(g.created_at) }
    end,
    'group_members' => GroupMember.includes(:group, :user).map do |m|
      { 'group' => m.group.code, 'user' => m.user.email, 'joined_at' => canon(m.joined_at) }
    end,
    'orders' => Order.includes(:group, :creator).map do |o|
      { 'group' => o.group.code, 'creator' => o.creator.email, 'total' => canon(o.total), 'data' => canon(o.data),
        'created_at' => canon(o.created_at) }
    end,
  }
  objects.transform_values! { |list| list.sort_by { |o| JSON.generate(o.sort.to_h) } }
  max_id = { 'users' => User.maximum(:id), 'groups' => Group.maximum(:id), 'orders' => Order.maximum(:id) }
  bookkeeping = ActiveRecord::Base.connection.select_values('SELECT version FROM schema_migrations ORDER BY version')
  { 'objects' => objects, 'max_id' => max_id, 'bookkeeping' => bookkeeping }
end

args = ARGV.reject { |a| a == '--json' }
abort(USAGE) if args.length < 2
command, target, set_name = args
connect(target)
result =
  case command
  when 'make-sqlite', 'make-pg'
    abort('make-pg takes a postgres:// URL') if command == 'make-pg' && !pg?(target)
    ActiveRecord::MigrationContext.new(File.join(HERE, 'db', 'migrate'), ActiveRecord::SchemaMigration).migrate
    { 'made' => pg?(target) ? 'postgresql' : 'sqlite' }
  when 'fill' then write(DATA[set_name || 'local'])
  when 'insert-new' then write(DATA['new'])
  when 'read-back' then read_back
  else abort(USAGE)
  end
puts JSON.generate(result)
