# hesap paylaş's schema as a Rails migration.
class CreatePaylas < ActiveRecord::Migration[6.1]
  def change
    create_table :users do |t|
      t.string :email, limit: 255, null: false, index: { unique: true }
      t.string :name, limit: 100, null: false
      t.boolean :is_active, null: false, default: true
      t.boolean :is_admin, null: false, default: false
      t.timestamps
    end
    create_table :groups do |t|
      t.string :code, limit: 12, null: false, index: { unique: true }
      t.string :name, limit: 100, null: false
      t.references :created_by, null: false, foreign_key: { to_table: :users }, index: false
      t.datetime :created_at, null: false
    end
    create_table :group_members, primary_key: [:group_id, :user_id] do |t|
      t.references :group, null: false, foreign_key: { on_delete: :cascade }, index: false
      t.references :user, null: false, foreign_key: { on_delete: :cascade }
      t.datetime :joined_at, null: false
    end
    create_table :orders do |t|
      t.references :group, null: false, foreign_key: { on_delete: :cascade }
      t.references :creator, null: false, foreign_key: { to_table: :users }
      t.decimal :total, precision: 10, scale: 2, null: false
      t.json :data
      t.datetime :created_at, null: false
    end
  end
end
